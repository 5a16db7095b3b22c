// Tests for localizations.
