// Package depstest enforces the repository's import rules in its test.
package depstest
