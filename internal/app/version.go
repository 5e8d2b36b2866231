package app

import "runtime/debug"

// version and commit can be set at build time with -ldflags "-X
// github.com/latchkeyhq/latchkey/internal/app.version=v1.2.3 -X
// ...app.commit=<sha>" (deploy/container/build.sh sets commit, since a
// build from a copied tree has no VCS information of its own).
var version, commit = "", ""

// Version is the module version of the binary (a release tag), else the
// -ldflags version, else "(devel)"; Commit adds the VCS revision.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// BuildInfo is what `latchkey version` prints: the module path and version,
// the VCS commit and time and whether the tree was modified, and the Go
// version. Fields the build did not record are empty (go build
// -buildvcs=false, or a build outside a git checkout).
type BuildInfo struct {
	Module, Version, Commit, CommitTime, GoVersion string
	Modified                                       bool
}

// ReadBuildInfo reads the binary's build information.
func ReadBuildInfo() BuildInfo {
	b := BuildInfo{Version: Version(), Commit: commit}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Module, b.GoVersion = bi.Main.Path, bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if b.Commit == "" {
				b.Commit = s.Value
			}
		case "vcs.time":
			b.CommitTime = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String is the text of `latchkey version`.
func (b BuildInfo) String() string {
	out := "latchkey " + b.Version + "\n"
	if b.Module != "" {
		out += "module " + b.Module + "\n"
	}
	c := b.Commit
	if c == "" {
		c = "unknown (built without VCS information)"
	}
	if b.CommitTime != "" {
		c += " (" + b.CommitTime + ")"
	}
	if b.Modified {
		c += " modified"
	}
	out += "commit " + c + "\n"
	if b.GoVersion != "" {
		out += "go " + b.GoVersion + "\n"
	}
	return out
}
