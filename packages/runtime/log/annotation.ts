// Workflow-command annotations (::error file=…,line=…,col=…::message), escaped as @actions/core escapes them.

export type AnnotationLevel = 'error' | 'warning' | 'notice';

export interface Annotation {
  level: AnnotationLevel;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  title?: string;
}

/** Data escapes % CR LF; properties also : and , */
function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function annotationCommand(annotation: Annotation): string {
  const properties = [
    annotation.file !== undefined ? `file=${escapeProperty(annotation.file)}` : '',
    annotation.line !== undefined ? `line=${annotation.line}` : '',
    annotation.column !== undefined ? `col=${annotation.column}` : '',
    annotation.title !== undefined ? `title=${escapeProperty(annotation.title)}` : '',
  ]
    .filter(Boolean)
    .join(',');
  return `::${annotation.level}${properties ? ` ${properties}` : ''}::${escapeData(annotation.message)}`;
}
