"""Storage: SQLAlchemy tables mapped onto the domain classes, repositories, engines."""
