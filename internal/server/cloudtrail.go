package server

import (
	"github.com/castellan-sts/castellan/internal/audit"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/protocol"
)

// cloudTrailPrefix is CloudTrail's X-Amz-Target prefix (the model's targetPrefix).
const cloudTrailPrefix = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"

// initAudit wires auditing, the credential report (registered here, after
// registerIAM, so iam.go stays untouched) and, with a Lookup, CloudTrail.
func (s *Server) initAudit(cfg AuditConfig) error {
	s.audit = cfg
	if cfg.Reports != nil {
		if iam := s.byVersion["2010-05-08"]; iam != nil {
			registerIAMReport(iam, cfg.Reports) // iamreport.go
		}
	}
	if cfg.Lookup == nil {
		return nil
	}
	m, err := protocol.LoadModel("cloudtrail")
	if err != nil {
		return err
	}
	js := &jsonService{
		service:  &service{name: "cloudtrail", model: m, ops: map[string]*handler{}},
		prefixes: []string{cloudTrailPrefix, "CloudTrail_20131101"},
		ops:      map[string]jsonOp{},
		rootOnly: true,
	}
	js.ops["LookupEvents"] = func(x *exchange, call *identity.Call, body []byte) (any, map[string]any, error) {
		in := new(audit.LookupEventsInput)
		if err := decodeJSON(body, in); err != nil {
			return nil, nil, err
		}
		params := audit.Elements(in)
		out, err := cfg.Lookup.LookupEvents(x.r.Context(), call, in)
		if err != nil {
			return nil, params, err
		}
		return out, params, nil
	}
	s.jsonServices = append(s.jsonServices, js)
	return nil
}
