// Command castellan is a self-hosted, AWS-compatible security token service.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/castellan-sts/castellan/internal/cli"
)

func main() {
	startDebug()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
