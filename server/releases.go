package server

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"registro/stats"
	"registro/stats/releases"
)

// publishInput is the body of POST /api/v1/stats/releases.
type publishInput struct {
	Period string `json:"period"` // "2026-Q2" or "2026"
}

// releaseView is a release version as the API answers it: its summary, the
// threshold it protects, and how many of its family's positions are hidden.
type releaseView struct {
	releases.Summary
	Threshold int `json:"threshold"`
	Hidden    int `json:"hidden_positions"`
}

func releaseViewOf(rel *stats.Release, lang string) releaseView {
	v := releaseView{Summary: releases.Summary{Period: rel.Period, Label: stats.PeriodLabel(rel.Period, lang),
		Version: rel.Version, Published: rel.Created, By: rel.CreatedBy, Changed: rel.Changed, Latest: true},
		Threshold: rel.K}
	for _, p := range rel.Positions {
		if p.Hidden {
			v.Hidden++
		}
	}
	return v
}

// opPublish publishes the next version of the release of period for the caller's
// organization. Only those who may publish may; the attempt goes to the access log
// whatever its outcome. It returns releases.Store.Publish's errors.
func (s *Server) opPublish(c *gin.Context, period string) (*stats.Release, error) {
	me := userOf(c)
	if _, err := s.can(c, "stats", "publish", me.Org); err != nil {
		return nil, err
	}
	ctx := c.Request.Context()
	k, err := s.thresholdOf(ctx, me.Org)
	if err != nil {
		return nil, err
	}
	rel, err := s.Releases.Publish(ctx, me.Org, k, period, me.Username)
	if err != nil {
		object := ""
		if _, perr := stats.ParseReleasePeriod("period", period); perr == nil {
			object = period
		}
		code, body := status(err)
		_ = s.record(c, "stats.publish", object, outcomeOf(err), fmt.Sprintf("%d %s", code, body.Code))
		return nil, err
	}
	hidden := releaseViewOf(rel, "es").Hidden
	detail := fmt.Sprintf("%s v%d: %d survivors changed, %d positions hidden", rel.Period, rel.Version, rel.Changed, hidden)
	if err := s.record(c, "stats.publish", rel.Period, "ok", detail); err != nil {
		return nil, err
	}
	return rel, nil
}

// opListReleases lists every release version of the caller's organization, for those
// who may read its statistics.
func (s *Server) opListReleases(c *gin.Context) ([]releases.Summary, error) {
	if _, err := s.permitStats(c); err != nil {
		return nil, err
	}
	list, err := s.Releases.List(c.Request.Context(), userOf(c).Org)
	if err != nil {
		return nil, err
	}
	if err := s.record(c, "stats.read", "", "ok", fmt.Sprintf("releases: %d versions", len(list))); err != nil {
		return nil, err
	}
	return list, nil
}

// publishRelease answers POST /api/v1/stats/releases {"period":"2026-Q2"}: 201 with
// the new version.
func (s *Server) publishRelease(c *gin.Context) error {
	var in publishInput
	if err := decode(c, &in); err != nil {
		return err
	}
	rel, err := s.opPublish(c, in.Period)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, releaseViewOf(rel, s.apiLang(c)))
	return nil
}

// listReleases answers GET /api/v1/stats/releases.
func (s *Server) listReleases(c *gin.Context) error {
	list, err := s.opListReleases(c)
	if err != nil {
		return err
	}
	lang := s.apiLang(c)
	for i := range list {
		list[i].Label = stats.PeriodLabel(list[i].Period, lang)
	}
	c.JSON(http.StatusOK, gin.H{"releases": list})
	return nil
}

// apiLang is the caller's language for labels: lang=en in the query, else the
// account's, else Spanish.
func (s *Server) apiLang(c *gin.Context) string {
	if l := c.Query("lang"); supportedLang(l) {
		return l
	}
	if l := userOf(c).Lang; supportedLang(l) {
		return l
	}
	return "es"
}
