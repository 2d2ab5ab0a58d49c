// Package protocol is the wire format of the AWS query protocol (STS, IAM)
// and of the error bodies of every protocol Castellan speaks.
//
// A request's form or query parameters become Params, the flattened
// key/value view the query protocol uses (Tags.member.1.Key=…), indexed so
// that list lengths and nested members are found without scanning. Model
// holds an operation's input shapes as the botocore service models define
// them (embedded under models/); Validate checks Params against it in AWS's
// order and with AWS's ValidationError texts, and Decode fills a service's
// typed input struct from them. On the way out, WriteQueryResult renders a
// result as the query protocol's XML (or JSON, when the client asked for it
// with Accept: application/json), and WriteError renders one *awserr.Error
// in the form of the request: query XML, or JSON (query answered in JSON,
// and the JSON 1.1 protocol of CloudTrail).
//
// The package knows nothing of authentication or of the services: the edge
// (internal/server) decides what to decode and which error to send; this
// package only makes the bytes exact.
package protocol
