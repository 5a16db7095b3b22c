DROP INDEX regions_country_name_idx;
