package stack

// DataDir is where the stack keeps its databases, streams and logs.
func (s *Stack) DataDir() string { return s.cfg.DataDir }
