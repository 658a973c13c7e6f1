package temporalclient

import (
	"testing"

	"go.temporal.io/sdk/client"
)

func TestCompressionOffOnlyToThisMachine(t *testing.T) {
	tests := []struct {
		address string
		off     bool
	}{
		{"127.0.0.1:7233", true},
		{"localhost:7233", true},
		{"[::1]:7233", true},
		{"temporal:7233", false},
		{"10.0.0.5:7233", false},
		{"not an address", false},
	}
	for _, tt := range tests {
		_, off := compression(tt.address).(*client.GrpcCompressionNone)
		if off != tt.off {
			t.Errorf("compression(%q) off = %v, want %v", tt.address, off, tt.off)
		}
	}
}
