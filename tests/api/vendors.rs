// Tests for vendors.
