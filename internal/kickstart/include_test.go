package kickstart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kickstartDir makes dir/kick (the Kickstart folder) with files, and a
// secret next to it, outside the folder.
func kickstartDir(t *testing.T, files map[string]string) (kick, secret string) {
	t.Helper()
	dir := t.TempDir()
	kick = filepath.Join(dir, "kick")
	if err := os.MkdirAll(filepath.Join(kick, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	secret = filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(secret, []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	outside := `{"method":"POST","url":"/api/application","body":{"application":{"name":"s3cret"}}}`
	if err := os.WriteFile(filepath.Join(dir, "secret.json"), []byte(outside), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(kick, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return kick, secret
}

func loadWith(t *testing.T, dir, requestsJSON string) (plan, error) {
	t.Helper()
	return loadDoc(t, dir, `{"apiKeys":[{"key":"kickstart-test-key-0123456789"}],"requests":`+requestsJSON+`}`)
}

// loadDoc writes doc as dir/kickstart.json and loads it.
func loadDoc(t *testing.T, dir, doc string) (plan, error) {
	t.Helper()
	path := filepath.Join(dir, "kickstart.json")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return load(path, func(string) (string, bool) { return "", false })
}

func body(text string) string {
	return `[{"method":"POST","url":"/api/application","body":{"application":{"name":"` + text + `"}}}]`
}

// TestIncludesConfinedToKickstartFolder: @{} and &{} read only regular files
// inside the Kickstart file's folder: no "..", no absolute path, no symlink
// leading out. Nothing of the outside file reaches the plan or the error.
func TestIncludesConfinedToKickstartFolder(t *testing.T) {
	req := `{"method":"POST","url":"/api/application","body":{"application":{"name":"ok"}}}`
	kick, secret := kickstartDir(t, map[string]string{"sub/notes.txt": "inside", "req.json": req})
	if err := os.Symlink(secret, filepath.Join(kick, "escape.txt")); err != nil {
		t.Fatal(err)
	}
	// Relative symlinks that stay inside are followed, as in a Kubernetes
	// ConfigMap volume (cm.txt -> ..data/cm.txt, ..data -> ..2026_03_01).
	for link, target := range map[string]string{"inner.txt": "sub/notes.txt", "..data": "..2026_03_01", "cm.txt": "..data/cm.txt"} {
		if err := os.Symlink(target, filepath.Join(kick, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(kick, "..2026_03_01"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(kick, "..2026_03_01", "cm.txt"), []byte("configmap"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Dir(kick), filepath.Join(kick, "up")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(kick, "sub", "notes.txt"), filepath.Join(kick, "absolute-inside.txt")); err != nil {
		t.Fatal(err)
	}
	refused := map[string]string{
		"dot-dot":              body("@{../secret.txt}"),
		"dot-dot inside":       body("@{sub/../../secret.txt}"),
		"dot-dot that stays":   body("@{sub/../sub/notes.txt}"),
		"absolute":             body("@{" + secret + "}"),
		"symlink out":          body("@{escape.txt}"),
		"symlinked folder out": body("@{up/secret.txt}"),
		"absolute symlink":     body("@{absolute-inside.txt}"), // os.Root: only relative links stay inside
		"json include out":     `["&{../secret.json}"]`,
		"not a regular file":   body("@{sub}"),
		"empty name":           body("@{}"),
	}
	for name, req := range refused {
		t.Run(name, func(t *testing.T) {
			p, err := loadWith(t, kick, req)
			if err == nil {
				t.Fatalf("accepted: %+v", p.requests)
			}
			if !strings.Contains(err.Error(), "include") || strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("error = %v", err)
			}
		})
	}
	for name, tt := range map[string]struct{ req, want string }{
		"subfolder":      {body("@{sub/notes.txt}"), "inside"},
		"symlink inside": {body("@{inner.txt}"), "inside"},
		"configmap":      {body("@{cm.txt}"), "configmap"},
		"json include":   {`["&{req.json}"]`, "ok"},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := loadWith(t, kick, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			app, _ := p.requests[0].Body["application"].(map[string]any)
			if app["name"] != tt.want {
				t.Fatalf("body = %v", p.requests[0].Body)
			}
		})
	}
}

// TestIncludesSizeBounded: one file larger than maxFileBytes, and includes
// adding up to more than maxTotalBytes (one file included many times), are
// refused before they are read whole.
func TestIncludesSizeBounded(t *testing.T) {
	big := strings.Repeat("a", maxFileBytes+1)
	chunk := strings.Repeat("b", maxFileBytes/2)
	kick, _ := kickstartDir(t, map[string]string{"big.txt": big, "chunk.txt": chunk})
	if _, err := loadWith(t, kick, body("@{big.txt}")); err == nil || !strings.Contains(err.Error(), "big.txt") ||
		!strings.Contains(err.Error(), "larger than") {
		t.Fatalf("big include: %v", err)
	}
	n := 2*maxTotalBytes/maxFileBytes + 1
	reqs := make([]string, n)
	for i := range reqs {
		reqs[i] = `{"method":"POST","url":"/api/application","body":{"x":"@{chunk.txt}"}}`
	}
	if _, err := loadWith(t, kick, "["+strings.Join(reqs, ",")+"]"); err == nil || !strings.Contains(err.Error(), "add up to more than") {
		t.Fatalf("many includes: %v", err)
	}
	// The Kickstart file itself is bounded too.
	path := filepath.Join(kick, "kickstart.json")
	if err := os.WriteFile(path, []byte(`{"apiKeys":[],"x":"`+big+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := load(path, nil); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("big Kickstart file: %v", err)
	}
}
