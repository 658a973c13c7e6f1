package natsauth

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/sagatrace/sagatrace/internal/secretfile"
)

// natsContext is the part of a nats CLI context file (natscli's
// natscontext JSON) sagatrace fills in.
type natsContext struct {
	Description string `json:"description"`
	URL         string `json:"url"`
	NKey        string `json:"nkey"`
}

// WriteContext writes a nats CLI context at path (mode 0600; it names a
// seed, so it is as private as one) that connects to url as the user of
// seedFile. The CLI takes a context file by its path when the path ends in
// .json: `nats --context PATH pub …`.
func WriteContext(path, url, seedFile string) error {
	seed, err := filepath.Abs(seedFile)
	if err != nil {
		return fmt.Errorf("nats context: %w", err)
	}
	data, err := json.MarshalIndent(natsContext{
		Description: "sagatrace operator (publishes scoring events, reads streams)", URL: url, NKey: seed,
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("nats context: %w", err)
	}
	// Atomically: a CLI reading it meanwhile sees the old context or the
	// new one, never half of one.
	if err := secretfile.Write(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("nats context: %w", err)
	}
	return nil
}
