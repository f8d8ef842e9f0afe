-- 0006_product_groups: which products are the same item drawn in different styles. A catalog may hold
-- one design drawn by several teams (an icon in five icon themes, a card in five decks); products
-- with the same non-empty group_key are each other's counterparts. The GAN learns from such pairs
-- (the paired loss), and `eval` compares a translation with the real counterpart in the target style.
-- '' means the product has no known counterparts. Set by the import: the path below the style folder
-- with --labels-from-folders, or a CSV's optional "group" column.
ALTER TABLE products ADD COLUMN group_key TEXT NOT NULL DEFAULT '';

CREATE INDEX products_group ON products (group_key) WHERE group_key <> '';
