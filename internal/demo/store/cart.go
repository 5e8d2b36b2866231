package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/latchkeyhq/latchkey/jwtverify"
)

// product is one thing the Store sells. The catalogue is fixed: the demo is
// about who may see a cart, not about shopping.
type product struct {
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	PriceCents int    `json:"priceCents"`
}

var catalog = []product{
	{"mug", "Latchkey mug", 1200},
	{"tee", "Refresh-token T-shirt", 2500},
	{"stickers", "Sticker pack", 400},
	{"socks", "One-time-use socks", 900},
}

// welcomeCart is what a user's cart holds the first time it is loaded, so the
// first load visibly comes from the Store's database.
var welcomeCart = []string{"mug", "stickers"}

type item struct {
	ID         int64  `json:"id"`
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	PriceCents int    `json:"priceCents"`
	AddedAt    int64  `json:"addedAt"` // ms since epoch
}

func openDB(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one writer; the demo's load is a person clicking
	_, err = db.Exec(`
CREATE TABLE IF NOT EXISTS cart_items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  added_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS cart_items_user ON cart_items(user_id);
CREATE TABLE IF NOT EXISTS welcomed (user_id TEXT PRIMARY KEY);`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: migrate %s: %w", path, err)
	}
	return db, nil
}

func findProduct(sku string) (product, bool) {
	for _, p := range catalog {
		if p.SKU == sku {
			return p, true
		}
	}
	return product{}, false
}

// loadCart answers GET /api/load-shopping-cart (workflow steps 7-8): the cart
// of the user the verified token names, from the Store's own database.
func (s *Store) loadCart(w http.ResponseWriter, r *http.Request) {
	c, _ := jwtverify.ClaimsFromContext(r.Context())
	if err := s.welcome(c.Subject); err != nil {
		s.fail(w, err)
		return
	}
	items, err := s.items(c.Subject)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"user":    map[string]any{"id": c.Subject, "email": c.Email},
		"items":   items,
		"catalog": catalog,
	})
}

// addItem answers POST /api/cart/items {"sku": "..."}.
func (s *Store) addItem(w http.ResponseWriter, r *http.Request) {
	c, _ := jwtverify.ClaimsFromContext(r.Context())
	var req struct {
		SKU string `json:"sku"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "Body must be JSON {\"sku\": \"...\"}.")
		return
	}
	p, ok := findProduct(req.SKU)
	if !ok {
		writeError(w, http.StatusBadRequest, "unknown_sku", "No such product.")
		return
	}
	now := s.cfg.Now().UnixMilli()
	res, err := s.db.Exec(`INSERT INTO cart_items(user_id, sku, added_at) VALUES(?,?,?)`, c.Subject, p.SKU, now)
	if err != nil {
		s.fail(w, err)
		return
	}
	id, _ := res.LastInsertId()
	writeJSON(w, http.StatusCreated, item{ID: id, SKU: p.SKU, Name: p.Name, PriceCents: p.PriceCents, AddedAt: now})
}

// removeItem answers DELETE /api/cart/items/{id}. Another user's item is
// answered like a missing one: no oracle for ids.
func (s *Store) removeItem(w http.ResponseWriter, r *http.Request) {
	c, _ := jwtverify.ClaimsFromContext(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "Item id must be a number.")
		return
	}
	res, err := s.db.Exec(`DELETE FROM cart_items WHERE id = ? AND user_id = ?`, id, c.Subject)
	if err != nil {
		s.fail(w, err)
		return
	}
	if n, _ := res.RowsAffected(); n == 0 {
		writeError(w, http.StatusNotFound, "not_found", "No such item in your cart.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// welcome fills a user's cart once, on their first load.
func (s *Store) welcome(userID string) error {
	res, err := s.db.Exec(`INSERT OR IGNORE INTO welcomed(user_id) VALUES(?)`, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	for _, sku := range welcomeCart {
		if _, err := s.db.Exec(`INSERT INTO cart_items(user_id, sku, added_at) VALUES(?,?,?)`, userID, sku, s.cfg.Now().UnixMilli()); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) items(userID string) ([]item, error) {
	rows, err := s.db.Query(`SELECT id, sku, added_at FROM cart_items WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := []item{}
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.ID, &it.SKU, &it.AddedAt); err != nil {
			return nil, err
		}
		p, _ := findProduct(it.SKU)
		it.Name, it.PriceCents = p.Name, p.PriceCents
		items = append(items, it)
	}
	return items, rows.Err()
}

// fail logs err and answers a generic 500; database errors are never shown.
func (s *Store) fail(w http.ResponseWriter, err error) {
	if errors.Is(err, sql.ErrNoRows) {
		writeError(w, http.StatusNotFound, "not_found", "Not found.")
		return
	}
	s.cfg.Logger.Error("store", "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "Something went wrong.")
}
