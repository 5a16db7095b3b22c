DROP TABLE registration_certificates;
