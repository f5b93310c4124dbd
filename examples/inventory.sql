-- The `inventory` database of the Debezium tutorial (debezium.io, "Tutorial"):
-- the same tables, keys and rows, so that its change events and the
-- connector config people already have work unchanged against Slipway.
--
--   mariadb < examples/inventory.sql
--
-- It refuses to run twice (CREATE DATABASE fails when `inventory` exists):
-- drop the database first to start over.

CREATE DATABASE inventory CHARACTER SET utf8mb4;
USE inventory;

CREATE TABLE products (
  id INT NOT NULL AUTO_INCREMENT,
  name VARCHAR(255) NOT NULL,
  description VARCHAR(512),
  weight FLOAT,
  PRIMARY KEY (id)
) ENGINE = InnoDB AUTO_INCREMENT = 101;

CREATE TABLE products_on_hand (
  product_id INT NOT NULL,
  quantity INT NOT NULL,
  PRIMARY KEY (product_id),
  CONSTRAINT products_on_hand_ibfk_1 FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE = InnoDB;

CREATE TABLE customers (
  id INT NOT NULL AUTO_INCREMENT,
  first_name VARCHAR(255) NOT NULL,
  last_name VARCHAR(255) NOT NULL,
  email VARCHAR(255) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY email (email)
) ENGINE = InnoDB AUTO_INCREMENT = 1001;

CREATE TABLE addresses (
  id INT NOT NULL AUTO_INCREMENT,
  customer_id INT NOT NULL,
  street VARCHAR(255) NOT NULL,
  city VARCHAR(255) NOT NULL,
  state VARCHAR(255) NOT NULL,
  zip VARCHAR(255) NOT NULL,
  type ENUM('SHIPPING', 'BILLING', 'LIVING') NOT NULL,
  PRIMARY KEY (id),
  KEY address_customer (customer_id),
  CONSTRAINT addresses_ibfk_1 FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE = InnoDB AUTO_INCREMENT = 10;

CREATE TABLE orders (
  order_number INT NOT NULL AUTO_INCREMENT,
  order_date DATE NOT NULL,
  purchaser INT NOT NULL,
  quantity INT NOT NULL,
  product_id INT NOT NULL,
  PRIMARY KEY (order_number),
  KEY order_customer (purchaser),
  KEY ordered_product (product_id),
  CONSTRAINT orders_ibfk_1 FOREIGN KEY (purchaser) REFERENCES customers (id),
  CONSTRAINT orders_ibfk_2 FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE = InnoDB AUTO_INCREMENT = 10001;

-- Ids come from AUTO_INCREMENT, as in the tutorial: products 101-109,
-- customers 1001-1004, addresses 10-16, orders 10001-10004.
-- ("water resistent" is the tutorial's own spelling.)
INSERT INTO products (name, description, weight) VALUES
  ('scooter', 'Small 2-wheel scooter', 3.14),
  ('car battery', '12V car battery', 8.1),
  ('12-pack drill bits', '12-pack of drill bits with sizes ranging from #40 to #3', 0.8),
  ('hammer', '12oz carpenter''s hammer', 0.75),
  ('hammer', '14oz carpenter''s hammer', 0.875),
  ('hammer', '16oz carpenter''s hammer', 1.0),
  ('rocks', 'box of assorted rocks', 5.3),
  ('jacket', 'water resistent black wind breaker', 0.1),
  ('spare tire', '24 inch spare tire', 22.2);

INSERT INTO products_on_hand (product_id, quantity) VALUES
  (101, 3), (102, 8), (103, 18), (104, 4), (105, 5), (106, 0), (107, 44), (108, 2), (109, 5);

INSERT INTO customers (first_name, last_name, email) VALUES
  ('Sally', 'Thomas', 'sally.thomas@acme.com'),
  ('George', 'Bailey', 'gbailey@foobar.com'),
  ('Edward', 'Walker', 'ed@walker.com'),
  ('Anne', 'Kretchmar', 'annek@noanswer.org');

INSERT INTO addresses (customer_id, street, city, state, zip, type) VALUES
  (1001, '3183 Moore Avenue', 'Euless', 'Texas', '76036', 'SHIPPING'),
  (1001, '2389 Hidden Valley Road', 'Harrisburg', 'Pennsylvania', '17116', 'BILLING'),
  (1002, '281 Riverside Drive', 'Augusta', 'Georgia', '30901', 'BILLING'),
  (1003, '3787 Brownton Road', 'Columbus', 'Mississippi', '39701', 'SHIPPING'),
  (1003, '2458 Lost Creek Road', 'Bethlehem', 'Pennsylvania', '18018', 'SHIPPING'),
  (1003, '4800 Simpson Square', 'Hillsdale', 'Oklahoma', '73743', 'BILLING'),
  (1004, '1289 University Hill Road', 'Canehill', 'Arkansas', '72717', 'LIVING');

INSERT INTO orders (order_date, purchaser, quantity, product_id) VALUES
  ('2016-01-16', 1001, 1, 102),
  ('2016-01-17', 1002, 2, 105),
  ('2016-02-19', 1002, 2, 106),
  ('2016-02-21', 1003, 1, 107);
