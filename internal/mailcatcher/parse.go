package mailcatcher

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// Message is one caught email.
type Message struct {
	ID           int       `json:"id"`
	Received     time.Time `json:"received"`
	EnvelopeFrom string    `json:"envelopeFrom"`
	EnvelopeTo   []string  `json:"envelopeTo"`
	From         string    `json:"from"`
	To           string    `json:"to"`
	Subject      string    `json:"subject"`
	MessageID    string    `json:"messageId"`
	Text         string    `json:"text"`
	HTML         string    `json:"html"`
	// Links are the http(s) URLs of the text body, in order: what a test
	// (or a newcomer) clicks.
	Links []string `json:"links"`
	Raw   []byte   `json:"-"`
}

var decoder = mime.WordDecoder{}

// parse reads what a mail client needs from a raw message; a message it
// cannot parse is kept with its raw text as the text body.
func parse(raw []byte) Message {
	m := Message{Raw: raw}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		m.Text = string(raw)
		return m
	}
	dec := func(h string) string {
		s, err := decoder.DecodeHeader(msg.Header.Get(h))
		if err != nil {
			return msg.Header.Get(h)
		}
		return s
	}
	m.From, m.To, m.Subject, m.MessageID = dec("From"), dec("To"), dec("Subject"), msg.Header.Get("Message-Id")
	body, _ := io.ReadAll(msg.Body)
	m.walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), body, 0)
	m.Links = links(m.Text)
	return m
}

// walk collects the first text/plain and text/html parts, into nested
// multiparts (bounded depth).
func (m *Message) walk(contentType, encoding string, body []byte, depth int) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") && depth < 5 {
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err != nil {
				return
			}
			b, _ := io.ReadAll(io.LimitReader(p, 20<<20))
			m.walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), b, depth+1)
		}
	}
	text := string(decodeBody(encoding, body))
	switch {
	case mt == "text/plain" && m.Text == "":
		m.Text = text
	case mt == "text/html" && m.HTML == "":
		m.HTML = text
	}
}

func decodeBody(encoding string, body []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		if b, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body))); err == nil {
			return b
		}
	case "base64":
		if b, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(bytes.Join(bytes.Fields(body), nil)))); err == nil {
			return b
		}
	}
	return body
}

var linkRE = regexp.MustCompile(`https?://[^\s<>"']+`)

func links(text string) []string {
	out := []string{}
	for _, l := range linkRE.FindAllString(text, -1) {
		out = append(out, strings.TrimRight(l, ".,;:!?)"))
	}
	return out
}
