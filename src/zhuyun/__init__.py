"""筑云 zhuyun: digital-government platform on the Guiyang model."""

__version__ = "0.1.0"
