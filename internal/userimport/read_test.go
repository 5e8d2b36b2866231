package userimport

import (
	"strings"
	"testing"
)

// TestReader: the settings before "users" are read, other members skipped,
// users come one by one in batches, and a setting after "users" or a
// broken record is an error naming where.
func TestReader(t *testing.T) {
	rd, err := newReader(strings.NewReader(`{"note":{"x":[1,2]},"encryptionScheme":"bcrypt","factor":12,` +
		`"validateDbConstraints":true,"users":[{"email":"a@x.test"},{"email":"b@x.test"},{"email":"c@x.test"}],"comment":"ok"}`))
	if err != nil {
		t.Fatal(err)
	}
	if rd.hdr != (header{EncryptionScheme: "bcrypt", Factor: 12, ValidateDbConstraints: true}) {
		t.Fatalf("settings %+v", rd.hdr)
	}
	var sizes []int
	for {
		b, err := rd.next(2)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.users) == 0 {
			break
		}
		sizes = append(sizes, len(b.users))
	}
	if len(sizes) != 2 || sizes[0] != 2 || sizes[1] != 1 {
		t.Fatalf("batches %v", sizes)
	}
	for name, file := range map[string]string{
		"setting after users": `{"users":[{"email":"a@x.test"}],"factor":3}`,
		"broken record":       `{"users":[{"email":"a@x.test"},{"email":}]}`,
		"no users":            `{"factor":3}`,
		"not an object":       `[1]`,
	} {
		rd, err := newReader(strings.NewReader(file))
		for err == nil {
			var b batch
			if b, err = rd.next(10); err == nil && len(b.users) == 0 {
				break
			}
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := newReader(strings.NewReader(`{"users":[{},{"email":}]}`)); err != nil {
		t.Fatal(err)
	}
}

// TestProblemsNameTheFileIndex: the server's users[i] (the index in the
// batch) becomes the index in the file, in field names and messages.
func TestProblemsNameTheFileIndex(t *testing.T) {
	got := problems([]byte(`{"fieldErrors":{"users[3].email":[{"code":"[duplicate]users[3].email","message":"users[3]: The email is also that of users[1]."}],`+
		`"users[10].password":[{"code":"[blank]users[10].password","message":"users[10]: You must specify the [password] property."}]}}`), 20000)
	want := []string{
		"users[20003].email: [duplicate]users[20003].email users[20003]: The email is also that of users[20001].",
		"users[20010].password: [blank]users[20010].password users[20010]: You must specify the [password] property.",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
