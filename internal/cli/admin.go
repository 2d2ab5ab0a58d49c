package cli

import (
	"github.com/spf13/cobra"

	"github.com/castellan-sts/castellan/internal/app"
	"github.com/castellan-sts/castellan/internal/config"
)

// adminFlags are the flags of offline administration commands: they open
// the deployment's store directly, like serve does.
type adminFlags struct {
	cfg config.Config
}

func (f *adminFlags) register(cmd *cobra.Command) {
	f.cfg = config.Default()
	cmd.Flags().StringVar(&f.cfg.DataDir, "data-dir", f.cfg.DataDir, "the server's data directory (master.key, SQLite store)")
	cmd.Flags().StringVar(&f.cfg.StoreURL, "store-url", f.cfg.StoreURL, "the server's store, when not the SQLite file in the data dir")
}

// open binds CASTELLAN_* variables and opens the deployment.
func (f *adminFlags) open(cmd *cobra.Command, streams IO) (*app.Admin, error) {
	if err := bindEnv(cmd, streams.Getenv); err != nil {
		return nil, err
	}
	f.cfg.MasterKey = streams.Getenv("CASTELLAN_MASTER_KEY")
	return app.OpenAdmin(cmd.Context(), f.cfg, newLogger(streams.Stderr, "warn", "text"))
}
