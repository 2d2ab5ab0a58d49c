#!/usr/bin/env node
// AWS SDK for JavaScript v3 driver: performs one conformance step and prints
// "Field<TAB>value" lines (same contract as clients/boto3_driver.py).
//
// Input (environment, set by run.sh): CONF_ENDPOINT CONF_REGION CONF_SERVICE
// CONF_OP CONF_PARAMS (JSON) CONF_AKID CONF_SECRET CONF_TOKEN
// CONF_SIGNING (normal | unsigned | dated:<seconds offset>), and CONF_CA_BUNDLE
// (a PEM file: the only CAs trusted for an https endpoint).
"use strict";

const fs = require("fs");

const out = [];
function emit(path, value) {
  if (typeof value === "boolean") value = value ? "true" : "false";
  value = String(value).replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  out.push(`${path}\t${value}\n`);
}

function flatten(prefix, obj) {
  if (obj === undefined || obj === null) return;
  if (obj instanceof Date) return emit(prefix, obj.toISOString());
  if (obj instanceof Uint8Array) return emit(prefix, Buffer.from(obj).toString("base64"));
  if (Array.isArray(obj)) {
    if (obj.length === 0) emit(prefix, "[]");
    obj.forEach((v, i) => flatten(`${prefix}.${i}`, v));
    return;
  }
  if (typeof obj === "object") {
    for (const [k, v] of Object.entries(obj)) {
      if (k === "$metadata" || k === "ResponseMetadata") continue;
      flatten(prefix ? `${prefix}.${k}` : k, v);
    }
    return;
  }
  emit(prefix, obj);
}

const CLIENT_CLASS = { sts: "STSClient", iam: "IAMClient" };

async function main() {
  const env = process.env;
  const service = env.CONF_SERVICE;
  const op = env.CONF_OP;
  const params = JSON.parse(env.CONF_PARAMS || "{}");
  const signing = env.CONF_SIGNING || "normal";

  let mod;
  try {
    mod = require(`@aws-sdk/client-${service}`);
  } catch (e) {
    emit("Skip", `@aws-sdk/client-${service} not installed (npm ci in test/conformance/js)`);
    return;
  }
  const ClientClass = mod[CLIENT_CLASS[service]] ||
    Object.entries(mod).find(([k]) => /^[A-Z0-9]+Client$/i.test(k) && k !== "Client")?.[1];
  const Command = mod[`${op}Command`];
  if (!ClientClass || !Command) {
    emit("Error", `js driver: no client or ${op}Command in @aws-sdk/client-${service}`);
    return;
  }

  const config = {
    endpoint: env.CONF_ENDPOINT,
    region: env.CONF_REGION,
    credentials: {
      accessKeyId: env.CONF_AKID || "AKIDUNUSEDFORUNSIGNED",
      secretAccessKey: env.CONF_SECRET || "unused",
      ...(env.CONF_TOKEN ? { sessionToken: env.CONF_TOKEN } : {}),
    },
    maxAttempts: 1,
  };
  if (env.CONF_CA_BUNDLE) {
    // The handler's options, as the SDK takes them: the https.Agent options
    // trust this bundle alone (NODE_EXTRA_CA_CERTS would add it to the system
    // roots, and only when set before node starts).
    config.requestHandler = { httpsAgent: { ca: fs.readFileSync(env.CONF_CA_BUNDLE) } };
  }
  if (signing === "unsigned") {
    // A signer that leaves the request untouched: no Authorization, no X-Amz-Date.
    config.signer = { sign: async (request) => request };
  } else if (signing.startsWith("dated:")) {
    // Sign with a clock moved by the offset. The SDK signs at now+systemClockOffset
    // (only while clock-skew correction is enabled, its default); maxAttempts 1
    // keeps it from correcting the offset from the Date header and retrying.
    config.systemClockOffset = Number(signing.slice(6)) * 1000;
  } else if (signing !== "normal") {
    emit("Error", `js driver: unknown CONF_SIGNING ${signing}`);
    return;
  }

  const client = new ClientClass(config);
  try {
    const resp = await client.send(new Command(params));
    emit("HTTPStatus", resp.$metadata?.httpStatusCode ?? "");
    if (resp.$metadata?.requestId) emit("RequestId", resp.$metadata.requestId);
    flatten("", resp);
  } catch (e) {
    if (e && e.$metadata && e.$metadata.httpStatusCode && e.$fault) {
      emit("Code", e.Code || e.name);
      emit("Message", e.message);
      emit("HTTPStatus", e.$metadata.httpStatusCode);
      if (e.$metadata.requestId) emit("RequestId", e.$metadata.requestId);
    } else {
      emit("Error", `${e && e.name}: ${e && e.message}`);
    }
  } finally {
    client.destroy();
  }
}

main().then(
  () => process.stdout.write(out.join("")),
  (e) => {
    process.stdout.write(out.join("") + `Error\tjs driver crashed: ${e && e.stack}\n`.replace(/\n(?!$)/g, "\\n"));
  },
);
