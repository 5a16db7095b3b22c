DROP TABLE laboratory_disciplines;
DROP TABLE laboratories;
