DROP TABLE recognition_agreements;
