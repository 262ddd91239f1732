"""Built-in datasets: one module per family; each registers its dataset ids when the registry
imports it (`cogdl.registry`)."""
