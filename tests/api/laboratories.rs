// Tests for laboratories.
