package config

import "net"

// Gateway configures the SigV4 + IAM gateway (docs/gateway.md).
type Gateway struct {
	// ConfigFile is --gateway-config: the routes file. Empty turns the
	// gateway and /authorize off.
	ConfigFile string
	// Addr is --gateway-addr, where the reverse proxy listens.
	Addr string
	// AuthzGRPCAddr is --authz-grpc-addr, where Envoy's gRPC ext_authz
	// service (envoy.service.auth.v3.Authorization) listens; empty is off.
	AuthzGRPCAddr string
}

// DefaultGateway returns the gateway defaults of the contract.
func DefaultGateway() Gateway { return Gateway{Addr: "127.0.0.1:8081"} }

func (g *Gateway) validate(add func(string, ...any)) {
	if g.AuthzGRPCAddr != "" {
		if g.ConfigFile == "" {
			add("--authz-grpc-addr needs --gateway-config: the routes decide what is allowed")
		}
		if _, _, err := net.SplitHostPort(g.AuthzGRPCAddr); err != nil {
			add("--authz-grpc-addr %q: want host:port", g.AuthzGRPCAddr)
		}
	}
	if g.ConfigFile == "" {
		return
	}
	if _, _, err := net.SplitHostPort(g.Addr); err != nil {
		add("--gateway-addr %q: want host:port", g.Addr)
	}
}
