package stack

import "path/filepath"

// CodecKeyFile is where the stack keeps the payload codec's keys in dataDir.
func CodecKeyFile(dataDir string) string { return filepath.Join(dataDir, "codec", "keys.json") }

// DataDir is where the stack keeps its databases, streams and logs.
func (s *Stack) DataDir() string { return s.cfg.DataDir }
