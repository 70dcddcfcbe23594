package graph

import (
	"context"

	"github.com/latchhq/latch/account"
	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/cursor"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/graph/model"
	"github.com/latchhq/latch/session"
)

// viewer is the signed-in user, or nil.
func (r *Resolver) viewer(ctx context.Context) (*ent.User, error) {
	cur := session.Current(ctx)
	if cur == nil {
		return nil, nil
	}
	u, err := r.DB.User.Get(ctx, cur.UserID)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return u, err
}

// pageSize checks first and that obj is the viewer: a User is only ever
// reachable as the viewer, but the check keeps it so if that changes.
func pageSize(ctx context.Context, obj *ent.User, first *int) (int, error) {
	cur := session.Current(ctx)
	if cur == nil || cur.UserID != obj.ID {
		return 0, apperr.SignedOut()
	}
	return cursor.First(first, 20)
}

func authPayload(a *account.Auth) *model.AuthPayload {
	tok := a.Token
	return &model.AuthPayload{Token: &tok, Session: a.Session, User: a.User}
}

func loginPayload(l *account.LoginResult) *model.LoginPayload {
	if l.Challenge != nil {
		return &model.LoginPayload{Challenge: &model.TwoFactorChallenge{Token: l.Challenge.Token, ExpiresAt: l.Challenge.ExpiresAt}}
	}
	return &model.LoginPayload{Auth: authPayload(l.Auth)}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func authMethods(ms []string) []model.AuthMethod {
	out := make([]model.AuthMethod, 0, len(ms))
	for _, m := range ms {
		out = append(out, model.AuthMethod(m))
	}
	return out
}

func sessionConnection(p *session.Page) *model.SessionConnection {
	c := &model.SessionConnection{TotalCount: p.TotalCount, PageInfo: &model.PageInfo{HasNextPage: p.HasNext}}
	c.Edges = make([]*model.SessionEdge, 0, len(p.Sessions))
	for _, s := range p.Sessions {
		c.Edges = append(c.Edges, &model.SessionEdge{Cursor: cursor.Encode(session.Key(s)), Node: s})
	}
	if n := len(c.Edges); n > 0 {
		c.PageInfo.EndCursor = &c.Edges[n-1].Cursor
	}
	return c
}

func eventConnection(p *audit.Page) *model.SecurityEventConnection {
	c := &model.SecurityEventConnection{TotalCount: p.TotalCount, PageInfo: &model.PageInfo{HasNextPage: p.HasNext}}
	c.Edges = make([]*model.SecurityEventEdge, 0, len(p.Events))
	for _, e := range p.Events {
		c.Edges = append(c.Edges, &model.SecurityEventEdge{Cursor: cursor.Encode(audit.Key(e)), Node: e})
	}
	if n := len(c.Edges); n > 0 {
		c.PageInfo.EndCursor = &c.Edges[n-1].Cursor
	}
	return c
}
