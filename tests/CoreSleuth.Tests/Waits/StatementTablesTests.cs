using CoreSleuth.Analysis.MySql;
using CsCheck;

namespace CoreSleuth.Tests.Waits;

public class StatementTablesTests
{
    [Theory]
    [InlineData("SELECT * FROM t", "t")]
    [InlineData("select a from `shop`.`customers` c join orders o on o.c = c.id where o.x in (select y from db2.items)", "shop.customers|orders|db2.items")]
    [InlineData("SELECT * FROM a, b AS bb, `c d` WHERE a.x = bb.x", "a|b|c d")]
    [InlineData("UPDATE LOW_PRIORITY t1, t2 SET t1.a = t2.a", "t1|t2")]
    [InlineData("INSERT INTO log (a, b) VALUES (1, 'FROM x')", "log")]
    [InlineData("INSERT IGNORE t VALUES (1) ON DUPLICATE KEY UPDATE a = 2", "t")]
    [InlineData("REPLACE INTO db.t SELECT * FROM s", "db.t|s")]
    [InlineData("DELETE FROM `oc_file_locks` WHERE `lock` = 0 AND `ttl` < '1447762304'", "oc_file_locks")]
    [InlineData("DELETE t1 FROM t1 JOIN t2 USING (id)", "t1|t2")]
    [InlineData("LOAD DATA INFILE '/tmp/customers.fifo' INTO TABLE shop.customers", "shop.customers")]
    [InlineData("LOAD DATA LOCAL INFILE \"/var/db/feed.csv\" REPLACE INTO TABLE feed FIELDS TERMINATED BY ','", "feed")]
    [InlineData("LOCK TABLES t1 READ, t2 AS x WRITE, db.t3 LOW_PRIORITY WRITE", "t1|t2|db.t3")]
    [InlineData("ALTER TABLE t ADD COLUMN a INT, ADD COLUMN b INT", "t")]
    [InlineData("TRUNCATE TABLE big", "big")]
    [InlineData("TRUNCATE big", "big")]
    [InlineData("RENAME TABLE a TO b, c TO d", "a|b|c|d")]
    [InlineData("DROP TABLE IF EXISTS a, b", "a|b")]
    [InlineData("CREATE TABLE IF NOT EXISTS c (id INT, FOREIGN KEY (id) REFERENCES p (id))", "c|p")]
    [InlineData("SELECT * FROM t FOR UPDATE", "t")]
    [InlineData("SELECT EXTRACT(YEAR FROM d), TRIM(LEADING 'x' FROM s) FROM events", "events")]
    [InlineData("WITH recent AS (SELECT * FROM orders) SELECT * FROM recent", "orders")]
    [InlineData("SELECT 1 INTO @x FROM dual", "")]
    [InlineData("SELECT * FROM t INTO OUTFILE '/tmp/t.txt'", "t")]
    [InlineData("SELECT /* FROM ghost */ 1 -- FROM ghost2\n# FROM ghost3\nFROM real1", "real1")]
    [InlineData("/*!40000 ALTER TABLE `dumped` DISABLE KEYS */", "dumped")]
    [InlineData("SELECT 'it''s FROM x', \"a \\\" FROM y\" FROM z", "z")]
    [InlineData("FLUSH TABLES WITH READ LOCK", "")]
    [InlineData("SHOW TABLES FROM shop", "")]
    [InlineData("TABLE t", "t")]
    [InlineData("SELECT * FROM `we``ird`", "we`ird")]
    [InlineData("SELECT REPLACE(a, 'x', 'y') FROM t", "t")]
    public void Names_the_tables(string statement, string expected) =>
        Assert.Equal(expected.Length == 0 ? [] : expected.Split('|'), StatementTables.Of(statement));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("SELECT 1")]
    [InlineData("SELECT * FROM")]
    [InlineData("SELECT * FROM `unclosed")]
    [InlineData("SELECT 'unclosed FROM t")]
    [InlineData("SELECT /* unclosed FROM t")]
    public void Names_nothing_that_is_not_there(string? statement) =>
        Assert.True(StatementTables.Of(statement).Count <= (statement?.Contains("`unclosed") == true ? 1 : 0));

    [Theory]
    [InlineData("shop.customers", "`shop`.`customers`", null, true)]
    [InlineData("customers", "`shop`.`customers`", "shop", true)]
    [InlineData("customers", "`shop`.`customers`", "other", false)]
    [InlineData("customers", "`shop`.`customers`", null, true)]   // schema unknown: the table name decides
    [InlineData("shop.customers", "test/customers", null, false)]  // 5.0's "db/table"
    [InlineData("shop.customers", "shop/customers", null, true)]
    [InlineData("Shop.Customers", "shop.customers", null, true)]
    [InlineData("shop.customers", "`shop`.`customers` /* Partition `p0` */", null, true)]
    [InlineData("shop.customers", "shop.orders", null, false)]
    [InlineData("`odd/`", "odd/", null, true)]                     // a quoted name that splits into nothing is whole
    [InlineData("", "t", null, false)]
    [InlineData(null, null, null, false)]
    public void Compares_table_names(string? a, string? b, string? db, bool same)
    {
        Assert.Equal(same, StatementTables.SameTable(a, b, db));
        Assert.Equal(same, StatementTables.SameTable(b, a, db));
    }

    private static readonly string[] Words =
        ["SELECT", "FROM", "JOIN", "INTO", "UPDATE", "TABLE", "TABLES", "LOCK", "DELETE", "INSERT", "REPLACE", "TRUNCATE", "AS", "TO",
         "WITH", "EXTRACT", "t", "db", ".", ",", "(", ")", "`", "'", "\"", "\\", "/*", "*/", "/*!", "--", "-- ", "#", "\n", " ", "@x", "`a``b`"];

    [Fact]
    public void Never_throws_and_names_are_never_empty()
    {
        var statement = Gen.OneOf(Gen.String, Gen.Int[0, Words.Length - 1].Select(i => Words[i]).Array[0, 60].Select(w => string.Join(" ", w)),
            Gen.Int[0, Words.Length - 1].Select(i => Words[i]).Array[0, 60].Select(string.Concat));
        statement.Sample(s =>
        {
            var names = StatementTables.Of(s);
            Assert.All(names, n => Assert.False(string.IsNullOrEmpty(n)));
            Assert.All(names, n => Assert.True(StatementTables.SameTable(n, n, null) || n.Trim('.').Length == 0 || n.Trim().Length == 0));
        });
        Gen.Select(Gen.String, Gen.String, Gen.String).Sample((a, b, db) => StatementTables.SameTable(a, b, db) == StatementTables.SameTable(b, a, db));
    }
}
