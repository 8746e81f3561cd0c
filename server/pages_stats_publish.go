package server

import (
	"errors"
	"net/url"

	"github.com/gin-gonic/gin"

	"registro/stats/releases"
	"registro/validation"
)

// publishReleasePage takes the coordinator's "Publicar" form: the new version is
// shown at once; a refused publication shows the page again with the reason at the
// period's select.
func (s *Server) publishReleasePage(c *gin.Context) error {
	period := c.PostForm("period")
	rel, err := s.opPublish(c, period)
	if err == nil {
		redirect(c, "/stats?"+url.Values{"source": {"release"}, "period": {rel.Period}, "done": {"published"}}.Encode())
		return nil
	}
	v := s.newView(c, "stats.title")
	v.Path = "/stats"
	text, ok := s.publishProblem(v.Lang, err)
	if !ok {
		return err
	}
	v.Form.Set("publish_period", period)
	v.Form.Set("table", defaultTable)
	v.Errors = map[string]string{"publish_period": text}
	// opPublish let her publish, so she is one who may read the live numbers.
	p := statsPermit{Org: userOf(c).Org, Live: true}
	data := &statsPage{Coordinator: true, Tables: s.tableChoices(v)}
	v.Data = data
	if err := s.statsChoices(c, v, p, data); err != nil {
		return err
	}
	code, _ := status(err)
	s.render(c, code, "stats", v)
	return nil
}

// publishProblem words why a publication was refused, or false for an error that is
// not about the form (the error page answers it).
func (s *Server) publishProblem(lang string, err error) (string, bool) {
	var ve *validation.Error
	var few *releases.TooFewChanges
	switch {
	case errors.As(err, &ve):
		if ve.Fields["period"].Code == validation.PeriodOpen {
			return s.cat.text(lang, "stats.problem.open"), true
		}
		return s.cat.text(lang, "stats.problem.period"), true
	case errors.As(err, &few):
		return s.cat.text(lang, "stats.problem.too_few", "Changed", few.Changed, "Needed", few.Needed,
			"More", few.Needed-few.Changed), true
	case errors.Is(err, releases.ErrNoChange):
		return s.cat.text(lang, "stats.problem.no_change"), true
	case errors.Is(err, releases.ErrQuartersNotReleased):
		return s.cat.text(lang, "stats.problem.quarters"), true
	case errors.Is(err, releases.ErrConcurrent):
		return s.cat.text(lang, "stats.problem.concurrent"), true
	}
	return "", false
}
