"""Middle layer: catalog, generation log, database, and the Studio that ties
backends to interfaces. Later: templates, workflows, knowledge bases, jobs,
artifacts, safety filters and content labelling."""
