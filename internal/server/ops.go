package server

import (
	"context"

	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/operation"
	"github.com/castellan-sts/castellan/internal/protocol"
)

// invokeFunc runs one operation with decoded parameters.
type invokeFunc func(ctx context.Context, call *identity.Call, p *protocol.Params) (any, error)

// handler is one registered API operation.
type handler struct {
	name   string
	invoke invokeFunc
	// unsigned operations (AssumeRoleWithWebIdentity, AssumeRoleWithSAML)
	// authenticate by their own token, not SigV4.
	unsigned bool
}

// op adapts a typed service method to an invokeFunc: the query parameters
// are decoded into a new In, and a nil *Out becomes a response without a
// Result element.
func op[In, Out any](f func(context.Context, *identity.Call, *In) (*Out, error)) invokeFunc {
	return func(ctx context.Context, call *identity.Call, p *protocol.Params) (any, error) {
		in := new(In)
		if err := protocol.Decode(p, in); err != nil {
			return nil, err
		}
		out, err := f(ctx, call, in)
		if err != nil || out == nil {
			return nil, err
		}
		return out, nil
	}
}

// op0 adapts a service method that takes no input.
func op0[Out any](f func(context.Context, *identity.Call) (*Out, error)) invokeFunc {
	return func(ctx context.Context, call *identity.Call, _ *protocol.Params) (any, error) {
		out, err := f(ctx, call)
		if err != nil || out == nil {
			return nil, err
		}
		return out, nil
	}
}

// service is a query-protocol service: its model and its operations.
type service struct {
	name  string // signing name: sts, iam
	model *protocol.Model
	ops   map[string]*handler
}

// add registers an operation. Every operation must have an entry in the
// operation registry (its meaning for authorisation, audit and the
// monitor); one without is a programming error.
func (s *service) add(name string, f invokeFunc) *handler {
	entry := operation.Lookup(s.name, name)
	if entry == nil {
		panic("server: operation " + s.name + ":" + name + " has no entry in the operation registry")
	}
	o := &handler{name: name, invoke: f, unsigned: entry.Unsigned}
	s.ops[name] = o
	return o
}
