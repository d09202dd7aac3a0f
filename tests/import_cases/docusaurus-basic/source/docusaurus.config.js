// @ts-check
const config = {
  title: 'Acme Help',
  url: 'https://acme.example',
  baseUrl: '/help/',
  presets: [
    ['classic', {
      blog: {path: 'updates', routeBasePath: 'updates'},
      docs: {routeBasePath: 'docs', sidebarPath: './sidebars.js'},
    }],
  ],
};
module.exports = config;
