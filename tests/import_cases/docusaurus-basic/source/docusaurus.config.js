// @ts-check
const config = {
  title: 'Acme Help',
  url: 'https://acme.example',
  baseUrl: '/help/',
  presets: [
    ['classic', {docs: {routeBasePath: 'docs', sidebarPath: './sidebars.js'}}],
  ],
};
module.exports = config;
