package server

import (
	"fmt"

	"github.com/gin-gonic/gin"

	"registro/stats"
	"registro/stats/releases"
)

// publishInput is the body of POST /api/v1/stats/releases.
type publishInput struct {
	Period string `json:"period"` // "2026-Q2" or "2026"
}

// releaseSummary is a release version as the API lists it, its period named in the
// reader's language.
type releaseSummary struct {
	releases.Summary
	Label string `json:"label"`
}

func summaryOf(r releases.Summary, lang string) releaseSummary {
	return releaseSummary{Summary: r, Label: stats.PeriodLabel(r.Period, lang)}
}

// releaseView is a new release version as the API answers it: its summary, the
// threshold it protects, and how many of its family's positions are hidden.
type releaseView struct {
	releaseSummary
	Threshold int `json:"threshold"`
	Hidden    int `json:"hidden_positions"`
}

func releaseViewOf(rel *stats.Release, lang string) releaseView {
	sum := releases.Summary{Period: rel.Period, Version: rel.Version, Published: rel.Created,
		By: rel.CreatedBy, Changed: rel.Changed, Latest: true}
	return releaseView{releaseSummary: summaryOf(sum, lang), Threshold: rel.K, Hidden: rel.Hidden()}
}

// opPublish publishes the next version of the release of period for the caller's
// organization. Only those who may publish may; the attempt goes to the access log
// whatever its outcome. It returns releases.Store.Publish's errors.
func (s *Server) opPublish(c *gin.Context, period string) (rel *stats.Release, err error) {
	me := userOf(c)
	if _, err := s.can(c, "stats", "publish", me.Org); err != nil {
		return nil, err
	}
	le := entry{Action: "stats.publish"}
	defer s.logged(c, &err, &le)
	ctx := c.Request.Context()
	k, err := s.thresholdOf(ctx, me.Org)
	if err != nil {
		return nil, err
	}
	if rel, err = s.Releases.Publish(ctx, me.Org, k, period, me.Username); err != nil {
		if _, perr := stats.ParseReleasePeriod("period", period); perr == nil {
			le.Object = period
		}
		code, body := status(err)
		le.Detail = fmt.Sprintf("%d %s", code, body.Code)
		return nil, err
	}
	le.Object = rel.Period
	le.Detail = fmt.Sprintf("%s v%d: %d survivors changed, %d positions hidden", rel.Period, rel.Version, rel.Changed, rel.Hidden())
	return rel, nil
}

// opListReleases lists every release version of the caller's organization, for those
// who may read its statistics.
func (s *Server) opListReleases(c *gin.Context) (list []releases.Summary, err error) {
	if _, err := s.permitStats(c); err != nil {
		return nil, err
	}
	le := entry{Action: "stats.read"}
	defer s.logged(c, &err, &le)
	if list, err = s.Releases.List(c.Request.Context(), userOf(c).Org); err == nil {
		le.Detail = fmt.Sprintf("releases: %d versions", len(list))
	}
	return list, err
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
