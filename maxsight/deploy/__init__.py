from .export import OUTPUTS, DeployModel, export_model, format_report

__all__ = ['OUTPUTS', 'DeployModel', 'export_model', 'format_report']
