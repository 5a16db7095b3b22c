DROP TABLE vendor_categories;
DROP TABLE vendors;
