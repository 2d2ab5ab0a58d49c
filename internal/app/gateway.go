package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"

	"github.com/castellan-sts/castellan/internal/authn"
	"github.com/castellan-sts/castellan/internal/authz"
	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/gateway"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/server"
	"github.com/castellan-sts/castellan/policy"
)

// gatewayAuthorizer adapts authz.Authorizer to the gateway's narrow
// question, and reports denials as gateway.Denial.
type gatewayAuthorizer struct{ a *authz.Authorizer }

func (g gatewayAuthorizer) Evaluate(ctx context.Context, call *identity.Call, action, resource string, extra map[string][]string, rp *policy.Policy) error {
	err := g.a.Evaluate(ctx, call, &authz.Check{Action: action, Resource: resource, Extra: extra, ResourcePolicy: rp})
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*awserr.Error](err); ok && e.Code == awserr.AccessDenied {
		return &gateway.Denial{
			Explicit:             strings.Contains(e.Message, " with an explicit deny"),
			AuthorizationMessage: e.AuthorizationMessage,
			Cause:                err,
		}
	}
	return err
}

// openGateway builds the gateway when --gateway-config is given and returns
// the main port's handler with /authorize added; without the flag it
// returns main unchanged.
func (a *App) openGateway(main http.Handler, source *authn.Source, authorizer *authz.Authorizer, ac server.AuditConfig, allowRegion func(string) bool) (http.Handler, error) {
	if a.cfg.Gateway.ConfigFile == "" {
		return main, nil
	}
	gc, err := gateway.LoadConfig(a.cfg.Gateway.ConfigFile)
	if err != nil {
		return nil, err
	}
	o := gateway.Options{
		Config: gc, Credentials: source, AllowRegion: allowRegion, Authorizer: gatewayAuthorizer{authorizer},
		Usage: a.usage, Account: a.account, Region: a.cfg.Region, Now: a.now, Logger: a.log,
	}
	if ac.Auditor != nil {
		o.Auditor = ac.Auditor
	}
	if ac.Lifecycle != nil {
		o.Lifecycle = ac.Lifecycle
	}
	gw, err := gateway.New(o)
	if err != nil {
		return nil, err
	}
	a.gateway = gw
	mux := http.NewServeMux()
	mux.Handle("/authorize", gw.Authorize())
	mux.Handle("/authorize/", gw.Authorize())
	mux.Handle("/", main)
	return mux, nil
}

// GatewayHandler returns the gateway's reverse proxy, nil without
// --gateway-config (for in-process tests).
func (a *App) GatewayHandler() http.Handler {
	if a.gateway == nil {
		return nil
	}
	return a.gateway
}

// runGateway listens on --gateway-addr and prints the contract's
// "castellan gateway listening on http://ADDR" line (https:// and the
// main port's certificate with --tls-cert); the returned server is shut
// down with the main one.
func (a *App) runGateway(out io.Writer, errc chan<- error) (*http.Server, error) {
	if a.gateway == nil {
		return nil, nil
	}
	ln, err := a.netListen(a.cfg.Gateway.Addr) // listeners.go
	if err != nil {
		return nil, fmt.Errorf("--gateway-addr: %w", err)
	}
	hs := a.serve(ln, a.gateway, false, errc) // listeners.go
	fmt.Fprintf(out, "castellan gateway listening on %s://%s\n", a.scheme(), ln.Addr())
	return hs, nil
}

// AuthzGRPCServer returns a gRPC server offering Envoy's ext_authz service
// (envoy.service.auth.v3.Authorization), nil without --gateway-config. Run
// serves it on --authz-grpc-addr; in-process tests serve it themselves.
func (a *App) AuthzGRPCServer() *grpc.Server {
	if a.gateway == nil {
		return nil
	}
	s := grpc.NewServer(
		// A CheckRequest carries headers and at most a buffered body
		// (Envoy's with_request_body max_request_bytes).
		grpc.MaxRecvMsgSize(maxCheckRequest),
		grpc.ConnectionTimeout(server.ReadHeaderTimeout),
	)
	authv3.RegisterAuthorizationServer(s, a.gateway.ExtAuthz())
	return s
}

// maxCheckRequest bounds one CheckRequest: the gateway's default max_body
// plus room for headers.
const maxCheckRequest = gateway.DefaultMaxBody + 1<<20

// runAuthzGRPC listens on --authz-grpc-addr when set and prints
// "castellan ext_authz listening on grpc://ADDR"; the returned server is
// stopped with the main one.
func (a *App) runAuthzGRPC(out io.Writer, errc chan<- error) (*grpc.Server, error) {
	if a.gateway == nil || a.cfg.Gateway.AuthzGRPCAddr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", a.cfg.Gateway.AuthzGRPCAddr)
	if err != nil {
		return nil, fmt.Errorf("--authz-grpc-addr: %w", err)
	}
	s := a.AuthzGRPCServer()
	go func() {
		if err := s.Serve(ln); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			errc <- err
		}
	}()
	fmt.Fprintf(out, "castellan ext_authz listening on grpc://%s\n", ln.Addr())
	return s, nil
}
