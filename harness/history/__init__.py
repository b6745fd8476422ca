"""Run history: the store of every finished run (`store`), indexing reports into it (`index`),
and comparisons with a run's own baseline and with earlier runs (`compare`). docs/history.md."""
