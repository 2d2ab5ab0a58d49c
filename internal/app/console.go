package app

import (
	"net/http"
	"strings"

	"github.com/castellan-sts/castellan/internal/console"
	"github.com/castellan-sts/castellan/internal/iam"
	"github.com/castellan-sts/castellan/internal/server"
)

// withConsole mounts the admin web console at /console/ beside the API
// (--console, on by default). The console runs every action through
// srv's in-process pipeline, so it needs no authority of its own.
func (a *App) withConsole(srv *server.Server, iamSvc *iam.Service) (http.Handler, error) {
	if !a.cfg.Console {
		return srv, nil
	}
	c, err := console.New(console.Config{
		Ops: srv, Passwords: iamSvc, Directory: a.store, Sessions: a.store,
		Account: a.account, Region: a.cfg.Region, Regions: a.cfg.EnabledRegions(),
		Logger: a.log, Now: a.now,
	})
	if err != nil {
		return nil, err
	}
	// A prefix test rather than a ServeMux in front, so the API keeps
	// seeing every other path exactly as sent (a mux would clean and
	// redirect them).
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, "/console/"):
			c.ServeHTTP(w, r)
		case p == "/console":
			http.Redirect(w, r, "/console/", http.StatusMovedPermanently)
		default:
			srv.ServeHTTP(w, r)
		}
	}), nil
}
