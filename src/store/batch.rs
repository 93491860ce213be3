//! Batches written as bound multi-row `INSERT`s, on either database: a batch's rows go in runs
//! whose lengths are powers of two, each run one statement.

/// The most rows one `INSERT` takes. A batch's rows go in runs whose lengths are powers of two
/// (a batch of 23: 16 + 4 + 2 + 1), so each table has six statements to prepare, once per
/// connection (sqlx caches them), and a batch of N takes about log2(N) statements per table.
const MOST_ROWS: usize = 32;

/// How a statement's parameters are written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Params {
    /// `$1`, `$2`, …: Postgres's only form.
    Numbered,
    /// `?`, bound in the order written. sqlx asks SQLite for the name of each parameter it binds,
    /// and SQLite finds a numbered one's by a scan of the statement's parameters: binding a run
    /// of 32 rows of 13 values took 416 scans of up to 416 (callgrind, `scripts/instructions.sh`:
    /// about 4,400 instructions of a create). An unnamed `?` has no name to find.
    InOrder,
}

/// One `INSERT … VALUES` statement per run length 1, 2, 4 … `MOST_ROWS`.
pub(super) struct Inserts {
    sql: [String; 6],
    params: Params,
}

impl Inserts {
    /// `row` numbers its values from `$1` to `$per_row`; each further row's go on from there.
    /// With `Params::InOrder` each is written `?`, so `row` must use each once, in order.
    pub(super) fn new(head: &str, row: &str, per_row: usize, params: Params) -> Self {
        if params == Params::InOrder {
            let numbers = placeholders(row).1;
            assert_eq!(numbers, (1..=per_row).collect::<Vec<_>>(), "{row}");
        }
        let unnumbered = unnumber(row);
        let sql = std::array::from_fn(|bit| {
            let rows: Vec<String> = (0..1 << bit)
                .map(|index| match params {
                    Params::Numbered => renumber(row, index * per_row),
                    Params::InOrder => unnumbered.clone(),
                })
                .collect();
            format!("{head} VALUES {}", rows.join(", "))
        });
        Self { sql, params }
    }

    /// These statements, each followed by `next`'s for as many rows: one text that runs several
    /// statements, binding their parameters in order (SQLite's `?`; sqlx runs the statements of
    /// one text in one call on the connection's thread).
    /// Only for `Params::InOrder`: numbered parameters would count from `$1` in each statement.
    pub(super) fn then(&self, next: &Inserts) -> Self {
        assert!(self.params == Params::InOrder && next.params == Params::InOrder);
        let sql = std::array::from_fn(|bit| format!("{}; {}", self.sql[bit], next.sql[bit]));
        Self {
            sql,
            params: Params::InOrder,
        }
    }

    /// The statement for a run of `rows` rows (a power of two up to `MOST_ROWS`).
    pub(super) fn sql(&self, rows: usize) -> &str {
        &self.sql[rows.trailing_zeros() as usize]
    }
}

/// The pieces of `sql` between its `$N` placeholders, and each placeholder's number.
fn placeholders(sql: &str) -> (Vec<&str>, Vec<usize>) {
    let mut pieces = Vec::new();
    let mut numbers = Vec::new();
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        pieces.push(&rest[..at]);
        rest = &rest[at + 1..];
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        numbers.push(rest[..digits].parse().unwrap_or(0));
        rest = &rest[digits..];
    }
    pieces.push(rest);
    (pieces, numbers)
}

/// `sql` with each `$N` placeholder moved on by `by`.
fn renumber(sql: &str, by: usize) -> String {
    let (pieces, numbers) = placeholders(sql);
    let mut out = String::with_capacity(sql.len() + 8);
    for (piece, number) in pieces.iter().zip(&numbers) {
        out += piece;
        out += &format!("${}", number + by);
    }
    out + pieces.last().copied().unwrap_or_default()
}

/// `sql` with each `$N` placeholder written `?`.
fn unnumber(sql: &str) -> String {
    placeholders(sql).0.join("?")
}

/// `rows` cut into runs of power-of-two lengths, longest first, none longer than `MOST_ROWS`.
pub(super) fn runs<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        let len = rows.len().min(MOST_ROWS);
        (len > 0).then(|| {
            let (run, rest) = rows.split_at(1 << len.ilog2());
            rows = rest;
            run
        })
    })
}

#[cfg(test)]
mod tests {
    use super::{renumber, runs, unnumber, Inserts, Params};

    fn lengths(count: usize) -> Vec<usize> {
        let rows: Vec<usize> = (0..count).collect();
        let cut: Vec<&[usize]> = runs(&rows).collect();
        // Every row once, in order.
        assert_eq!(cut.concat(), rows);
        cut.iter().map(|run| run.len()).collect()
    }

    #[test]
    fn a_batch_goes_in_power_of_two_runs_longest_first() {
        assert_eq!(lengths(0), Vec::<usize>::new());
        assert_eq!(lengths(1), [1]);
        assert_eq!(lengths(23), [16, 4, 2, 1]);
        assert_eq!(lengths(32), [32]);
        assert_eq!(lengths(100), [32, 32, 32, 4]);
        assert_eq!(lengths(256), [32; 8]);
    }

    #[test]
    fn placeholders_move_on_by_the_rows_before() {
        assert_eq!(renumber("($1, f($1), $12)", 12), "($13, f($13), $24)");
        assert_eq!(unnumber("($1, f($2), $3)"), "(?, f(?), ?)");
    }

    #[test]
    fn in_order_params_are_unnamed_and_each_used_once() {
        let inserts = Inserts::new("INSERT INTO t (a, b)", "($1, $2)", 2, Params::InOrder);
        assert_eq!(inserts.sql(2), "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
        let numbered = Inserts::new("INSERT INTO t (a, b)", "($1, $2)", 2, Params::Numbered);
        assert_eq!(
            numbered.sql(2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        let twice = std::panic::catch_unwind(|| {
            Inserts::new("INSERT INTO t (a, b)", "($1, $1)", 2, Params::InOrder)
        });
        assert!(
            twice.is_err(),
            "a value used twice cannot be bound in order"
        );
    }
}
