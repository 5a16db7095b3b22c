// Tests for http.
