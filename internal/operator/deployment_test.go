package operator

import (
	"runtime/debug"
	"testing"
)

func TestBuildIDOf(t *testing.T) {
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "3f9c2e1d4b5a"}
	for _, tt := range []struct {
		name     string
		settings []debug.BuildSetting
		want     string
	}{
		{"clean checkout", []debug.BuildSetting{rev, {Key: "vcs.modified", Value: "false"}}, "3f9c2e1d4b5a"},
		{"uncommitted changes", []debug.BuildSetting{{Key: "vcs.modified", Value: "true"}, rev}, "3f9c2e1d4b5a-dirty"},
		{"built without VCS information", []debug.BuildSetting{{Key: "GOOS", Value: "linux"}}, UnstampedBuildID},
		{"modified but no revision", []debug.BuildSetting{{Key: "vcs.modified", Value: "true"}}, UnstampedBuildID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := buildIDOf(tt.settings); got != tt.want {
				t.Errorf("buildIDOf(%v) = %q, want %q", tt.settings, got, tt.want)
			}
		})
	}
}
