import {
  flexRender,
  getCoreRowModel,
  useReactTable,
  type ColumnDef,
  type Row,
  type RowSelectionState,
} from "@tanstack/react-table";
import type { MouseEvent } from "react";

import { cn } from "./cn";

export interface DataTableSelection<T> {
  state: RowSelectionState;
  onChange: (selection: RowSelectionState) => void;
  /** Rows that cannot be selected (their checkbox is disabled). */
  canSelect?: (row: T) => boolean;
}

interface DataTableProps<T> {
  /** The table's accessible name. */
  label: string;
  data: T[];
  // Column value types differ per column; TanStack's own examples type the array this way.
  columns: ColumnDef<T, any>[];
  getRowId: (row: T) => string;
  /** Tailwind width classes by column id (the table lays out fixed, so long text truncates). */
  widths?: Record<string, string>;
  /** A Tailwind min-width class: below it the table scrolls sideways instead of squeezing. */
  minWidth?: string;
  selection?: DataTableSelection<T>;
  rowClassName?: (row: Row<T>) => string | undefined;
  /** A click anywhere on a row that is not on a control; keep a link or button in the row
   * for keyboard users, this is only a larger target. */
  onRowClick?: (row: T) => void;
}

const INTERACTIVE = "a, button, input, select, textarea, label, [role=menuitem]";

/** The console's table: header row, body rows, fixed column widths, optional selection. */
export function DataTable<T>({
  label,
  data,
  columns,
  getRowId,
  widths = {},
  minWidth,
  selection,
  rowClassName,
  onRowClick,
}: DataTableProps<T>) {
  const table = useReactTable({
    data,
    columns,
    getCoreRowModel: getCoreRowModel(),
    getRowId,
    enableRowSelection: selection ? (row) => selection.canSelect?.(row.original) ?? true : false,
    ...(selection
      ? {
          state: { rowSelection: selection.state },
          onRowSelectionChange: (updater) =>
            selection.onChange(typeof updater === "function" ? updater(selection.state) : updater),
        }
      : {}),
  });

  function clickRow(event: MouseEvent<HTMLTableRowElement>, row: T): void {
    if (!onRowClick) return;
    if ((event.target as HTMLElement).closest(INTERACTIVE)) return;
    onRowClick(row);
  }

  return (
    // relative: screen-reader-only text (absolutely placed) stays inside the scroller instead
    // of widening the page.
    <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-700 dark:bg-slate-900">
      <table className={cn("w-full table-fixed text-sm", minWidth)} aria-label={label}>
        <thead className="bg-slate-50 text-left text-xs text-slate-600 uppercase dark:bg-slate-800 dark:text-slate-300">
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => (
                <th key={header.id} scope="col" className={cn("px-3 py-2 font-medium", widths[header.column.id])}>
                  {header.isPlaceholder ? null : flexRender(header.column.columnDef.header, header.getContext())}
                </th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {table.getRowModel().rows.map((row) => (
            <tr
              key={row.id}
              onClick={onRowClick ? (event) => clickRow(event, row.original) : undefined}
              className={cn(
                row.getIsSelected() && "bg-indigo-50 dark:bg-indigo-950/50",
                onRowClick && "cursor-pointer hover:bg-slate-50 dark:hover:bg-slate-800/60",
                rowClassName?.(row),
              )}
            >
              {row.getVisibleCells().map((cell) => (
                <td key={cell.id} className="px-3 py-2 align-middle">
                  {flexRender(cell.column.columnDef.cell, cell.getContext())}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
