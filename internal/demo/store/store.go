package store

import (
	"embed"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/latchkeyhq/latchkey/internal/demo/appkit"
	"github.com/latchkeyhq/latchkey/jwtverify"
)

//go:embed web
var webFS embed.FS

// Config configures the Store backend; DBPath is the Store's own SQLite file.
type Config = appkit.Config

// Store is the Store backend; it is an http.Handler.
type Store struct {
	*appkit.App
}

// schema is the Store's own table: the carts.
const schema = `
CREATE TABLE IF NOT EXISTS cart_items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  added_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS cart_items_user ON cart_items(user_id);`

// New opens (and migrates) the database and builds the handler.
func New(cfg Config) (*Store, error) {
	web, _ := fs.Sub(webFS, "web")
	a, err := appkit.New(cfg, appkit.Spec{Name: "Store", Schema: schema, Web: web})
	if err != nil {
		return nil, err
	}
	s := &Store{a}
	a.Handle("GET /api/load-shopping-cart", s.loadCart)
	a.Handle("POST /api/cart/items", s.addItem)
	a.Handle("DELETE /api/cart/items/{id}", s.removeItem)
	return s, nil
}

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
		s.Fail(w, err)
		return
	}
	items, err := s.items(c.Subject)
	if err != nil {
		s.Fail(w, err)
		return
	}
	appkit.WriteJSON(w, http.StatusOK, map[string]any{
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
	if err := appkit.DecodeJSON(w, r, 4096, &req); err != nil {
		appkit.WriteError(w, http.StatusBadRequest, "invalid_request", "Body must be JSON {\"sku\": \"...\"}.")
		return
	}
	p, ok := findProduct(req.SKU)
	if !ok {
		appkit.WriteError(w, http.StatusBadRequest, "unknown_sku", "No such product.")
		return
	}
	now := s.Now().UnixMilli()
	res, err := s.DB.Exec(`INSERT INTO cart_items(user_id, sku, added_at) VALUES(?,?,?)`, c.Subject, p.SKU, now)
	if err != nil {
		s.Fail(w, err)
		return
	}
	id, _ := res.LastInsertId()
	appkit.WriteJSON(w, http.StatusCreated, item{ID: id, SKU: p.SKU, Name: p.Name, PriceCents: p.PriceCents, AddedAt: now})
}

// removeItem answers DELETE /api/cart/items/{id}. Another user's item is
// answered like a missing one: no oracle for ids.
func (s *Store) removeItem(w http.ResponseWriter, r *http.Request) {
	c, _ := jwtverify.ClaimsFromContext(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		appkit.WriteError(w, http.StatusBadRequest, "invalid_request", "Item id must be a number.")
		return
	}
	res, err := s.DB.Exec(`DELETE FROM cart_items WHERE id = ? AND user_id = ?`, id, c.Subject)
	if err != nil {
		s.Fail(w, err)
		return
	}
	if n, _ := res.RowsAffected(); n == 0 {
		appkit.WriteError(w, http.StatusNotFound, "not_found", "No such item in your cart.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// welcome fills a user's cart once, on their first load.
func (s *Store) welcome(userID string) error {
	if first, err := s.FirstVisit(userID); err != nil || !first {
		return err
	}
	for _, sku := range welcomeCart {
		if _, err := s.DB.Exec(`INSERT INTO cart_items(user_id, sku, added_at) VALUES(?,?,?)`, userID, sku, s.Now().UnixMilli()); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) items(userID string) ([]item, error) {
	rows, err := s.DB.Query(`SELECT id, sku, added_at FROM cart_items WHERE user_id = ? ORDER BY id`, userID)
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
