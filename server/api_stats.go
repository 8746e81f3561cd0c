package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// showStats answers the statistics table as JSON, CSV (format=csv or Accept:
// text/csv) or XLSX (format=xlsx).
func (s *Server) showStats(c *gin.Context) error {
	ans, err := s.opStats(c, statsQueryOf(c))
	if err != nil {
		return err
	}
	switch ans.Format {
	case "csv", "xlsx":
		return s.writeStatsFile(c, ans)
	}
	c.JSON(http.StatusOK, ans.Report)
	return nil
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
	out := make([]releaseSummary, len(list))
	for i, r := range list {
		out[i] = summaryOf(r, lang)
	}
	c.JSON(http.StatusOK, gin.H{"releases": out})
	return nil
}
