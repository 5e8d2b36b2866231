package server

import (
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The lambda API (apis/lambdas; spec §3.6.1). Lambdas are global in
// FusionAuth, so a tenant-scoped key is refused (the route's global mark, guard.go). A body is
// compiled and its top level run when it is saved (lambda.Engine.Validate).

type lambdaRequest struct {
	Lambda *storage.Lambda `json:"lambda"`
}

type lambdaResponse struct {
	Lambda storage.Lambda `json:"lambda"`
}

func missingLambda() error {
	v := &manage.Invalid{}
	v.Field("missing", "lambda", "You must specify the [lambda] object.")
	return v
}

// createLambda handles POST /api/lambda[/{id}]; omitted fields take
// manage.LambdaDefaults (engineType GraalJS, enabled).
func (s *Server) createLambda(w http.ResponseWriter, r *http.Request) {
	id, ok := optionalPathID(w, r, "id", "lambdaId")
	if !ok {
		return
	}
	d := manage.LambdaDefaults()
	req := lambdaRequest{Lambda: &d}
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	if req.Lambda == nil {
		s.writeError(w, r, missingLambda())
		return
	}
	l, err := s.Manage.Lambdas.Create(r.Context(), id, *req.Lambda)
	s.writeLambda(w, r, l, err)
}

func (s *Server) writeLambda(w http.ResponseWriter, r *http.Request, l storage.Lambda, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, lambdaResponse{l})
}

// getLambda handles GET /api/lambda/{id}.
func (s *Server) getLambda(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "lambdaId")
	if !ok {
		return
	}
	l, err := s.Manage.Lambdas.Get(r.Context(), id)
	s.writeLambda(w, r, l, err)
}

// listLambdas handles GET /api/lambda and GET /api/lambda?type=JWTPopulate
// (TS retrieveLambdas, retrieveLambdasByType).
func (s *Server) listLambdas(w http.ResponseWriter, r *http.Request) {
	list, err := s.Manage.Lambdas.List(r.Context(), queryValue(r, "type"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"lambdas": list})
}

// searchLambdas handles POST /api/lambda/search {"search":{"body","name",
// "type","numberOfResults","startRow"}} (TS searchLambdas): name and body
// match as case-insensitive substrings, type exactly.
func (s *Server) searchLambdas(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Search struct {
			Body            string `json:"body"`
			Name            string `json:"name"`
			Type            string `json:"type"`
			NumberOfResults int    `json:"numberOfResults"`
			StartRow        int    `json:"startRow"`
		} `json:"search"`
	}
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	q := req.Search
	list, err := s.Manage.Lambdas.List(r.Context(), q.Type)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var hits []storage.Lambda
	for _, l := range list {
		if strings.Contains(strings.ToLower(l.Name), strings.ToLower(q.Name)) && strings.Contains(l.Body, q.Body) {
			hits = append(hits, l)
		}
	}
	page, err := manage.PageOf(hits, q.StartRow, q.NumberOfResults)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"lambdas": append([]storage.Lambda{}, page...), "total": len(hits)})
}

// updateLambda handles PUT and PATCH /api/lambda/{id}: the type is kept;
// a PUT's omitted fields take manage.LambdaDefaults, as a create's.
func (s *Server) updateLambda(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "lambdaId")
	if !ok {
		return
	}
	rewind := replayBody(r)
	l, err := s.Manage.Lambdas.Update(r.Context(), id, func(cur storage.Lambda) (storage.Lambda, error) {
		rewind()
		d := manage.LambdaDefaults()
		req := lambdaRequest{Lambda: &d}
		if err := decodeReplacement(r, lambdaResponse{cur}, &req); err != nil {
			return cur, err
		}
		if req.Lambda == nil {
			return cur, missingLambda()
		}
		return *req.Lambda, nil
	})
	s.writeLambda(w, r, l, err)
}

// deleteLambda handles DELETE /api/lambda/{id}: 400 [inUse]lambdaId while
// an application names it.
func (s *Server) deleteLambda(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "lambdaId")
	if !ok {
		return
	}
	if err := s.Manage.Lambdas.Delete(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}
