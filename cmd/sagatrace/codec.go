package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/converter"

	"github.com/sagatrace/sagatrace/internal/payloadcodec"
)

// devCodecKeyFile is where `sagatrace dev`, run with its default
// --data-dir, keeps the payload codec's keys; the commands that start or
// read sagas use it when it exists, as they use the dev stack's addresses.
var devCodecKeyFile = filepath.Join(".sagatrace", "codec", "keys.json")

// codecOff is the --codec-key-file value that sends and reads payloads in clear.
const codecOff = "off"

// defineCodecKeyFile declares --codec-key-file for a command that talks
// to Temporal as a client of the sagas (start, trace, the operator
// commands, drill, bench).
func defineCodecKeyFile(fs *flag.FlagSet) *string {
	return fs.String("codec-key-file", "", "`file` of the payload codec's keys (JSON, 0600): saga payloads are encrypted with its first key and decrypted with any; "+
		"every client and worker of the namespace needs the same file (default: "+devCodecKeyFile+" when it exists, which `sagatrace dev` makes; '"+codecOff+"': payloads in clear)")
}

// codecKeyFile resolves a --codec-key-file value to a path, "" for none.
func codecKeyFile(value string) (string, error) {
	switch value {
	case codecOff:
		return "", nil
	case "":
		if _, err := os.Stat(devCodecKeyFile); errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return devCodecKeyFile, nil
	}
	if _, err := os.Stat(value); err != nil {
		return "", usageError{fmt.Sprintf("--codec-key-file: %v; `sagatrace codec-key rotate --key-file %s` makes one (every client and worker needs the same)", err, value)}
	}
	return value, nil
}

// loadCodec returns the codec of a --codec-key-file value, nil for none.
func loadCodec(value string) (converter.PayloadCodec, error) {
	path, err := codecKeyFile(value)
	if err != nil || path == "" {
		return nil, err
	}
	c, err := payloadcodec.LoadCodec(path)
	if err != nil {
		return nil, fmt.Errorf("--codec-key-file: %w", err)
	}
	return c, nil
}

const codecKeySynopsis = `Manages the payload codec's key file, which encrypts every saga payload
Temporal stores (AES-256-GCM; the file lists {kid, key}, the current key first).

  init     make the file with one key when it does not exist; keep it
           when it does (for a container's first start).
  rotate   put a new current key first; the old keys stay, so histories
           written with them still decrypt. Restart every process that reads
           the file (worker, console, codec server) so all encrypt with the
           new key and can read what the others write.
  list     print the key IDs, the current one first (never the keys).`

func runCodecKey(_ context.Context, args []string, stdout, stderr io.Writer) error {
	example := "  sagatrace codec-key init --key-file /keys/codec.json\n  sagatrace codec-key rotate\n  sagatrace codec-key list --key-file /keys/codec.json"
	action, args, err := subcommand(newFlagSet("codec-key init|rotate|list [flags]", codecKeySynopsis, example, stderr), args,
		"codec-key needs an action: init, rotate or list")
	if err != nil {
		return err
	}
	fs := newFlagSet("codec-key "+action+" [flags]", codecKeySynopsis, example, stderr)
	path := fs.String("key-file", devCodecKeyFile, "`file` of the codec's keys")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch action {
	case "init":
		keys, err := payloadcodec.EnsureKeyFile(*path)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s holds %d key(s), current %s\n", *path, len(keys.Keys), keys.IDs()[0])
	case "rotate":
		k, err := payloadcodec.Rotate(*path, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new current key %s in %s; restart every worker, console and codec server that reads it\n", k.ID, *path)
	case "list":
		keys, err := payloadcodec.LoadKeyFile(*path)
		if err != nil {
			return err
		}
		for i, id := range keys.IDs() {
			role := "decrypts"
			if i == 0 {
				role = "current (encrypts and decrypts)"
			}
			fmt.Fprintf(stdout, "%s\t%s\n", id, role)
		}
	default:
		return usageError{fmt.Sprintf("codec-key: unknown action %q: want init, rotate or list", action)}
	}
	return nil
}
