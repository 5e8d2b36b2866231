package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// FusionAuth's entity management (apis/entities/entity-types.mdx,
// entities.mdx, grants.mdx): what its TypeScript client's entity methods
// send, over manage.Entities.

type entityTypeRequest struct {
	EntityType storage.EntityType `json:"entityType"`
}

// createEntityType handles POST /api/entity/type[/{id}].
func (s *Server) createEntityType(w http.ResponseWriter, r *http.Request) {
	id, ok := optionalPathID(w, r, "id", "entityTypeId")
	if !ok {
		return
	}
	var req entityTypeRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	t, err := s.Manage.Entities.CreateType(r.Context(), id, req.EntityType)
	s.answer(w, r, err, entityTypeRequest{withPermissions(t)})
}

// withPermissions answers an empty list rather than null.
func withPermissions(t storage.EntityType) storage.EntityType {
	if t.Permissions == nil {
		t.Permissions = []storage.EntityTypePermission{}
	}
	return t
}

// getEntityType handles GET /api/entity/type/{id}; listEntityTypes GET
// /api/entity/type.
func (s *Server) getEntityType(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "entityTypeId")
	if !ok {
		return
	}
	t, err := s.Manage.Entities.GetType(r.Context(), id)
	s.answer(w, r, err, entityTypeRequest{withPermissions(t)})
}

func (s *Server) listEntityTypes(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Manage.Entities.ListTypes(r.Context())
	for i := range ts {
		ts[i] = withPermissions(ts[i])
	}
	s.answer(w, r, err, map[string]any{"entityTypes": ts})
}

// searchEntityTypes handles POST /api/entity/type/search (entity-types.mdx
// "Search for Entity Types"): {"search":{"name":"*device*","startRow":0,
// "numberOfResults":25}} answers {"entityTypes":[...],"total":n}.
func (s *Server) searchEntityTypes(w http.ResponseWriter, r *http.Request) {
	var req nameSearchRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	ts, err := s.Manage.Entities.SearchTypes(r.Context(), req.Search.Name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := manage.PageOf(ts, req.Search.StartRow, req.Search.NumberOfResults)
	for i := range page {
		page[i] = withPermissions(page[i])
	}
	s.answer(w, r, err, map[string]any{"entityTypes": page, "total": len(ts)})
}

// updateEntityType handles PUT and PATCH /api/entity/type/{id}.
func (s *Server) updateEntityType(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "entityTypeId")
	if !ok {
		return
	}
	rewind := replayBody(r)
	t, err := s.Manage.Entities.UpdateType(r.Context(), id, func(cur storage.EntityType) (storage.EntityType, error) {
		rewind()
		var req entityTypeRequest
		err := decodeReplacement(r, entityTypeRequest{cur}, &req)
		return req.EntityType, err
	})
	s.answer(w, r, err, entityTypeRequest{withPermissions(t)})
}

// deleteEntityType handles DELETE /api/entity/type/{id}.
func (s *Server) deleteEntityType(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "entityTypeId")
	if !ok {
		return
	}
	s.answer(w, r, s.Manage.Entities.DeleteType(r.Context(), id), nil)
}

// createEntityTypePermission handles POST
// /api/entity/type/{id}/permission[/{permissionId}].
func (s *Server) createEntityTypePermission(w http.ResponseWriter, r *http.Request) {
	typeID, ok := pathID(w, r, "id", "entityTypeId")
	if !ok {
		return
	}
	permID, ok := optionalPathID(w, r, "permissionId", "permissionId")
	if !ok {
		return
	}
	var req struct {
		Permission storage.EntityTypePermission `json:"permission"`
	}
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	p, err := s.Manage.Entities.AddPermission(r.Context(), typeID, permID, req.Permission)
	s.answer(w, r, err, map[string]any{"permission": p})
}

// deleteEntityTypePermission handles DELETE
// /api/entity/type/{id}/permission/{permissionId}.
func (s *Server) deleteEntityTypePermission(w http.ResponseWriter, r *http.Request) {
	typeID, ok := pathID(w, r, "id", "entityTypeId")
	if !ok {
		return
	}
	permID, ok := pathID(w, r, "permissionId", "permissionId")
	if !ok {
		return
	}
	s.answer(w, r, s.Manage.Entities.DeletePermission(r.Context(), typeID, permID), nil)
}

// entityBody is the entity as FusionAuth writes it: the type as an object.
type entityBody struct {
	ID                string         `json:"id,omitempty"`
	TenantID          string         `json:"tenantId,omitempty"`
	Name              string         `json:"name"`
	Type              entityTypeRef  `json:"type"`
	ClientID          string         `json:"clientId,omitempty"`
	ClientSecret      string         `json:"clientSecret,omitempty"`
	Data              map[string]any `json:"data,omitempty"`
	ParentID          string         `json:"parentId,omitempty"`
	InsertInstant     int64          `json:"insertInstant,omitempty"`
	LastUpdateInstant int64          `json:"lastUpdateInstant,omitempty"`
}

type entityTypeRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

func (b entityBody) entity() storage.Entity {
	return storage.Entity{Name: b.Name, TypeID: b.Type.ID, ClientID: b.ClientID, ClientSecret: b.ClientSecret,
		Data: b.Data, ParentID: b.ParentID}
}

func (s *Server) entityView(r *http.Request, en storage.Entity) entityBody {
	ref := entityTypeRef{ID: en.TypeID}
	if t, err := s.Manage.Entities.GetType(r.Context(), en.TypeID); err == nil {
		ref.Name = t.Name
	}
	return entityBody{ID: en.ID, TenantID: en.TenantID, Name: en.Name, Type: ref, ClientID: en.ClientID,
		ClientSecret: en.ClientSecret, Data: en.Data, ParentID: en.ParentID, InsertInstant: en.InsertInstant,
		LastUpdateInstant: en.LastUpdateInstant}
}

// createEntity handles POST /api/entity[/{id}].
func (s *Server) createEntity(w http.ResponseWriter, r *http.Request) {
	id, ok := optionalPathID(w, r, "id", "entityId")
	if !ok {
		return
	}
	var req struct {
		Entity entityBody `json:"entity"`
	}
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	en, err := s.Manage.Entities.Create(r.Context(), scope(r), id, req.Entity.Type.ID, req.Entity.entity())
	s.answer(w, r, err, func() any { return map[string]any{"entity": s.entityView(r, en)} })
}

// getEntity handles GET /api/entity/{id}.
func (s *Server) getEntity(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "entityId")
	if !ok {
		return
	}
	en, err := s.Manage.Entities.Get(r.Context(), scope(r), id)
	s.answer(w, r, err, func() any { return map[string]any{"entity": s.entityView(r, en)} })
}

// searchEntities handles GET /api/entity/search (ids=, startRow=,
// numberOfResults=) and POST /api/entity/search {"search":{"ids",
// "startRow","numberOfResults"}}: FusionAuth's result shape; the search
// itself is not implemented beyond ids and listing (a queryString is
// ignored).
func (s *Server) searchEntities(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Search struct {
			IDs             []string `json:"ids"`
			StartRow        int      `json:"startRow"`
			NumberOfResults int      `json:"numberOfResults"`
		} `json:"search"`
	}
	q := &req.Search
	if r.Method == http.MethodPost {
		if !s.decodeJSON(w, r, &req, true) {
			return
		}
	} else {
		var ok bool
		q.IDs = r.URL.Query()["ids"]
		if q.StartRow, ok = queryInt(w, r, "startRow"); !ok {
			return
		}
		if q.NumberOfResults, ok = queryInt(w, r, "numberOfResults"); !ok {
			return
		}
	}
	ens, total, err := s.Manage.Entities.Search(r.Context(), scope(r), q.IDs, q.StartRow, q.NumberOfResults)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]entityBody, len(ens))
	for i, en := range ens {
		out[i] = s.entityView(r, en)
	}
	writeJSON(w, http.StatusOK, map[string]any{"entities": out, "total": total})
}

// updateEntity handles PUT and PATCH /api/entity/{id}.
func (s *Server) updateEntity(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "entityId")
	if !ok {
		return
	}
	rewind := replayBody(r)
	en, err := s.Manage.Entities.Update(r.Context(), scope(r), id, func(cur storage.Entity) (storage.Entity, error) {
		rewind()
		var req struct {
			Entity entityBody `json:"entity"`
		}
		err := decodeReplacement(r, map[string]any{"entity": s.entityView(r, cur)}, &req)
		return req.Entity.entity(), err
	})
	s.answer(w, r, err, func() any { return map[string]any{"entity": s.entityView(r, en)} })
}

// deleteEntity handles DELETE /api/entity/{id}.
func (s *Server) deleteEntity(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "entityId")
	if !ok {
		return
	}
	s.answer(w, r, s.Manage.Entities.Delete(r.Context(), scope(r), id), nil)
}

// upsertEntityGrant handles POST and PUT /api/entity/{id}/grant: 200 with
// no body, as FusionAuth answers.
func (s *Server) upsertEntityGrant(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("grant") != "grant" {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	id, ok := pathID(w, r, "id", "entityId")
	if !ok {
		return
	}
	var req struct {
		Grant storage.EntityGrant `json:"grant"`
	}
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	_, err := s.Manage.Entities.UpsertGrant(r.Context(), scope(r), id, req.Grant)
	s.answer(w, r, err, nil)
}

// getEntityGrants handles GET /api/entity/{id}/grant: one grant with
// ?recipientEntityId= or ?userId=, else all of the entity's.
func (s *Server) getEntityGrants(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("grant") != "grant" {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	id, ok := pathID(w, r, "id", "entityId")
	if !ok {
		return
	}
	rec, user := queryValue(r, "recipientEntityId"), queryValue(r, "userId")
	if !optionalID(w, "recipientEntityId", rec) || !optionalID(w, "userId", user) {
		return
	}
	if rec == "" && user == "" {
		gs, err := s.Manage.Entities.ListGrants(r.Context(), scope(r), id)
		s.answer(w, r, err, map[string]any{"grants": gs})
		return
	}
	g, err := s.Manage.Entities.GetGrant(r.Context(), scope(r), id, rec, user)
	s.answer(w, r, err, map[string]any{"grant": g})
}

// deleteEntityGrant handles DELETE /api/entity/{id}/grant?recipientEntityId=|userId=.
func (s *Server) deleteEntityGrant(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("grant") != "grant" {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	id, ok := pathID(w, r, "id", "entityId")
	if !ok {
		return
	}
	rec, user := queryValue(r, "recipientEntityId"), queryValue(r, "userId")
	if !optionalID(w, "recipientEntityId", rec) || !optionalID(w, "userId", user) {
		return
	}
	err := s.Manage.Entities.DeleteGrant(r.Context(), scope(r), id, rec, user)
	s.answer(w, r, err, nil)
}

// answer writes err through writeError, else 200 with body (a func is
// called only on success; nil is an empty 200).
func (s *Server) answer(w http.ResponseWriter, r *http.Request, err error, body any) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if f, ok := body.(func() any); ok {
		body = f()
	}
	if body == nil {
		writeEmpty(w, http.StatusOK)
		return
	}
	writeJSON(w, http.StatusOK, body)
}
