package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"golang.org/x/term"
)

// ttyPath is the controlling terminal. credential-process and credentials
// serve have their stdout taken by the SDK, so prompts go to the terminal.
const ttyPath = "/dev/tty"

var mfaCodeRE = regexp.MustCompile(`^[0-9]{6}$`)

// TerminalMFA asks for an MFA code on the controlling terminal. It fails
// with a clear message when there is none (a CI job, a daemon).
func TerminalMFA(ctx context.Context, serial string) (string, error) {
	tty, err := os.OpenFile(ttyPath, os.O_RDWR, 0)
	if err != nil {
		return "", fmt.Errorf("an MFA code for %s is needed and there is no terminal to ask on: pass --mfa-code (or CASTELLAN_MFA_CODE)", serial)
	}
	defer tty.Close()
	return promptMFA(tty, tty, serial)
}

// StaticMFA returns code for every device (--mfa-code); the code is checked
// for shape so a typo fails before STS counts it.
func StaticMFA(code string) func(context.Context, string) (string, error) {
	return func(context.Context, string) (string, error) {
		if !mfaCodeRE.MatchString(code) {
			return "", errors.New("--mfa-code: want the 6 digits your authenticator shows")
		}
		return code, nil
	}
}

func promptMFA(in io.Reader, out io.Writer, serial string) (string, error) {
	r := bufio.NewReader(in)
	for range 3 {
		fmt.Fprintf(out, "MFA code for %s: ", serial)
		line, err := r.ReadString('\n')
		code := strings.TrimSpace(line)
		if mfaCodeRE.MatchString(code) {
			return code, nil
		}
		if err != nil {
			return "", fmt.Errorf("reading the MFA code: %w", err)
		}
		fmt.Fprintln(out, "want the 6 digits your authenticator shows")
	}
	return "", errors.New("no valid MFA code entered")
}

// Prompter asks questions for configure: on a terminal secrets are read
// without echo; otherwise (a pipe) every answer is one line of input.
type Prompter struct {
	In  io.Reader
	Out io.Writer
	r   *bufio.Reader
}

// Ask prints "label [current]: " and returns the answer, or current when the
// answer is empty.
func (p *Prompter) Ask(label, shown, current string) (string, error) {
	if shown == "" {
		shown = "None"
	}
	fmt.Fprintf(p.Out, "%s [%s]: ", label, shown)
	line, err := p.line(false)
	if err != nil {
		return "", err
	}
	if line == "" {
		return current, nil
	}
	return line, nil
}

// AskSecret is Ask without echo on a terminal.
func (p *Prompter) AskSecret(label, shown, current string) (string, error) {
	if shown == "" {
		shown = "None"
	}
	fmt.Fprintf(p.Out, "%s [%s]: ", label, shown)
	line, err := p.line(true)
	if err != nil {
		return "", err
	}
	if line == "" {
		return current, nil
	}
	return line, nil
}

func (p *Prompter) line(secret bool) (string, error) {
	if f, ok := p.In.(*os.File); ok && secret && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(p.Out)
		return strings.TrimRight(string(b), "\r\n"), err
	}
	if p.r == nil {
		p.r = bufio.NewReader(p.In)
	}
	s, err := p.r.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && s != "") {
		if errors.Is(err, io.EOF) {
			return "", nil
		}
		return "", err
	}
	// Keep what was typed except the line end: configure reports stray
	// spaces rather than silently trimming the user's value.
	return strings.TrimRight(s, "\r\n"), nil
}
