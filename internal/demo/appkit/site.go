package appkit

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"time"
)

// web is the shell every application's page is built on. index.html is a
// template (the application's name and CSS class); shell.js and style.css are
// served as they are.
//
//go:embed web
var web embed.FS

var indexTemplate = template.Must(template.ParseFS(web, "web/index.html"))

// site is what an application serves under /: index.html rendered for it,
// then its own files (app.js), then the shared ones. http.FileServerFS serves
// it exactly as it served each application's own embedded folder (same
// paths, types, redirects and 404s).
func site(spec Spec) (fs.FS, error) {
	if spec.Web == nil {
		return nil, errors.New("Spec.Web is required")
	}
	var page bytes.Buffer
	data := struct{ Name, Class string }{spec.Name, spec.name()}
	if err := indexTemplate.Execute(&page, data); err != nil {
		return nil, err
	}
	shared, err := fs.Sub(web, "web")
	if err != nil {
		return nil, err
	}
	return layers{index: page.Bytes(), fss: []fs.FS{spec.Web, shared}}, nil
}

// layers opens index.html from memory and any other name from the first of
// fss that has it.
type layers struct {
	index []byte
	fss   []fs.FS
}

func (l layers) Open(name string) (fs.File, error) {
	if name == "index.html" {
		return &memFile{Reader: bytes.NewReader(l.index), name: name}, nil
	}
	for _, f := range l.fss {
		file, err := f.Open(name)
		if !errors.Is(err, fs.ErrNotExist) {
			return file, err
		}
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// memFile is a read-only in-memory file. Its modification time is zero, like
// an embedded file's, so no Last-Modified header is sent; http.ServeContent
// needs the Seek that bytes.Reader provides.
type memFile struct {
	*bytes.Reader
	name string
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f, nil }
func (f *memFile) Close() error               { return nil }

// fs.FileInfo of a memFile.
func (f *memFile) Name() string       { return f.name }
func (f *memFile) Mode() fs.FileMode  { return 0o444 }
func (f *memFile) ModTime() time.Time { return time.Time{} }
func (f *memFile) IsDir() bool        { return false }
func (f *memFile) Sys() any           { return nil }
