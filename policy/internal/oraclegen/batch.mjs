#!/usr/bin/env node
// Batch driver for the shared IAM policy oracle (../../../../shared/oracle).
// Reads JSON Lines of simulate.mjs-style inputs on stdin and prints one JSON
// line per case: {"decision", "ignoredContextKeys", "error"}. It must live in
// (be copied into) the oracle folder so that @cloud-copilot/iam-simulate
// resolves from its node_modules. It runs the oracle as a separate process
// from our Go code; nothing here is linked into Castellan.
import { createInterface } from 'node:readline'
import { anonymousPrincipal, runSimulation } from '@cloud-copilot/iam-simulate'

function accountOf(arn) {
  if (typeof arn !== 'string') return undefined
  const parts = arn.split(':')
  return parts.length >= 6 && /^\d{12}$/.test(parts[4]) ? parts[4] : undefined
}

function named(list, prefix) {
  if (list === undefined || list === null) return undefined
  return list.map((p, i) => ({ name: `${prefix}${i + 1}`, policy: p }))
}

async function one(input) {
  const principal = input.principal === 'anonymous' ? anonymousPrincipal : input.principal
  const resourceAccount = input.resourceAccount || accountOf(input.resource) || accountOf(principal) || '123456789012'
  const ctx = {}
  for (const [k, v] of Object.entries(input.context ?? {})) ctx[k] = Array.isArray(v) ? v.map(String) : String(v)
  const simulation = {
    request: { principal, action: input.action, resource: { resource: input.resource, accountId: resourceAccount }, contextVariables: ctx },
    identityPolicies: named(input.identityPolicies ?? [], 'identity'),
    serviceControlPolicies: [],
    resourceControlPolicies: []
  }
  if (input.resourcePolicy) simulation.resourcePolicy = input.resourcePolicy
  if (input.sessionPolicy) simulation.sessionPolicy = input.sessionPolicy
  const pbs = named(input.permissionBoundaries, 'boundary')
  if (pbs !== undefined) simulation.permissionBoundaryPolicies = pbs
  const res = await runSimulation(simulation, { simulationMode: 'Strict' })
  if (res.resultType === 'error') return { decision: 'Error', error: JSON.stringify(res.errors).slice(0, 300) }
  const r = res.resultType === 'single' ? res.result : res.results[0]
  return { decision: res.overallResult, ignoredContextKeys: r?.ignoredContextKeys ?? [] }
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of rl) {
  if (!line.trim()) continue
  let out
  try {
    out = await one(JSON.parse(line))
  } catch (e) {
    out = { decision: 'Error', error: String(e.message).slice(0, 300) }
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}
