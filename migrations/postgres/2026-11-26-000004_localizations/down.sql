DROP TABLE localization_stage_changes;
DROP TABLE localization_scopes;
DROP TABLE localizations;
